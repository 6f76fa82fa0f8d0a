package dev.dacspark.spark.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The accounting identity prep asserts: a file lost by the listing or by decoding fails the job. */
class FileAccountTest {
    @Test
    void skipsAreCountedWithAFewExamples() {
        FileAccount.Skips skips = new FileAccount.Skips();
        for (int i = 0; i < 7; i++) {
            skips.add("hidden", ".f" + i);
        }
        skips.add("not an image extension (.txt)", "a/notes.txt");
        FileAccount account = skips.account(20, 12);
        assertEquals(Map.of("hidden", 7L, "not an image extension (.txt)", 1L), account.skipped());
        assertEquals(List.of(".f0", ".f1", ".f2", ".f3", ".f4"), account.examples().get("hidden"));
        assertEquals(8, account.skippedCount());
        account.check("t", 10, 2);
    }

    @Test
    void aFileLostByTheListingOrByDecodingFailsTheCheck() {
        FileAccount.Skips skips = new FileAccount.Skips();
        skips.add("hidden", ".DS_Store");
        IllegalStateException listing = assertThrows(IllegalStateException.class, () -> skips.account(10, 8).check("t", 8, 0));
        assertTrue(listing.getMessage().contains("task 't': prep lost track of its files (a bug in prep): listed 10 = 8 records + 1 skipped"),
                listing.getMessage());
        IllegalStateException decode = assertThrows(IllegalStateException.class, () -> FileAccount.ofRecords(5).check("t", 3, 1));
        assertTrue(decode.getMessage().contains("records 5 = 3 prepared + 1 quarantined must both hold"), decode.getMessage());
    }
}
