package dev.dacspark.notebooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The notes are for Zeppelin 0.11, the first release whose Spark interpreter accepts Spark 3.5 (0.10's refuses Spark
 * above 3.2 or 3.3 unless its version check is turned off, which notebooks/README.md says how to do).
 */
class ZeppelinVersionTest {
    static final Path NOTEBOOKS = Path.of(System.getProperty("repo.dir"), "notebooks");

    @Test
    void everyNoteIsAZeppelin011Note() throws IOException {
        var notes = ZeppelinNote.all(NOTEBOOKS);
        assertFalse(notes.isEmpty(), "no notes in " + NOTEBOOKS);
        for (ZeppelinNote note : notes) {
            String version = new ObjectMapper().readTree(note.file().toFile()).path("version").asText();
            assertTrue(version.startsWith("0.11."), note.file().getFileName() + ": written by Zeppelin " + version + ", not 0.11");
        }
    }

    @Test
    void theReadmeSaysWhichZeppelinAndHowToKeep010() throws IOException {
        String readme = Files.readString(NOTEBOOKS.resolve("README.md"));
        assertTrue(readme.contains("Zeppelin 0.11"), "notebooks/README.md names Zeppelin 0.11");
        assertTrue(readme.contains("`zeppelin.spark.enableSupportedVersionCheck` to `false`"), "and the setting 0.10 needs for Spark 3.5");
    }
}
