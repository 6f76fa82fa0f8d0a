package dev.dacspark.spark.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a task's listing accounts for everything it lists (an image folder's files, a manifest's rows, IDX or MTIL
 * samples): each one is a record, which decoding prepares or quarantines with its reason, or skipped with its
 * reason ({@code hidden}, {@code not an image extension (.txt)}, ...), counted with a few example paths. Prep
 * {@linkplain #check checks} {@code listed = records + skipped} and {@code records = prepared + quarantined}: a
 * file lost on the way fails the job.
 */
record FileAccount(long listed, long records, Map<String, Long> skipped, Map<String, List<String>> examples) {
    /** Example paths kept per skip reason. */
    static final int EXAMPLES = 5;

    /** A listing whose every entry is a record. */
    static FileAccount ofRecords(long records) {
        return new FileAccount(records, records, Map.of(), Map.of());
    }

    long skippedCount() {
        return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Fails unless listed = records + skipped and records = prepared + quarantined (a bug in prep otherwise). */
    void check(String task, long prepared, long quarantined) {
        if (listed != records + skippedCount() || records != prepared + quarantined) {
            throw new IllegalStateException("task '" + task + "': prep lost track of its files (a bug in prep): listed " + listed
                    + " = " + records + " records + " + skippedCount() + " skipped " + skipped + " and records " + records + " = "
                    + prepared + " prepared + " + quarantined + " quarantined must both hold");
        }
    }

    /** The skipped entries of a listing, by reason, as the listing meets them. */
    static final class Skips {
        private final Map<String, Long> counts = new TreeMap<>();
        private final Map<String, List<String>> examples = new TreeMap<>();

        void add(String reason, String path) {
            counts.merge(reason, 1L, Long::sum);
            List<String> some = examples.computeIfAbsent(reason, r -> new ArrayList<>());
            if (some.size() < EXAMPLES) {
                some.add(path);
            }
        }

        /** The account of a listing that met {@code listed} entries and made {@code records} records of them. */
        FileAccount account(long listed, long records) {
            Map<String, List<String>> lists = new TreeMap<>();
            examples.forEach((reason, paths) -> lists.put(reason, List.copyOf(paths)));
            return new FileAccount(listed, records, Collections.unmodifiableMap(new TreeMap<>(counts)), Collections.unmodifiableMap(lists));
        }
    }
}
