package dev.dacspark.spark.storage;

import dev.dacspark.testing.SparkSessions;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watch sees the permanent failures of its own thread's jobs (job group and tags), not another run's on the same driver. */
class PermanentFailureWatchTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local(Map.of());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A job whose one task fails as a full disk fails a write. */
    private static void fullDiskJob(SparkContext sc) throws java.util.concurrent.TimeoutException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        assertThrows(Exception.class, () -> jsc.parallelize(List.of(1), 1).foreach(i -> {
            throw new IOException("writing part-00000: No space left on device");
        }));
        sc.listenerBus().waitUntilEmpty(); // the listener has had the job's task ends
    }

    @Test
    void anotherRunsFullDiskIsNotThisRunsFailure() throws Exception {
        SparkContext sc = spark.sparkContext();
        sc.setJobGroup("sweep/run-b", "run b", false);
        sc.addJobTag("start-b");
        try (PermanentFailureWatch watch = PermanentFailureWatch.start(sc)) {
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread runA = new Thread(() -> { // a thread of its own, as a sweep's run has: its own group and tag
                try {
                    sc.setJobGroup("sweep/run-a", "run a", false);
                    sc.removeJobTag("start-b");
                    sc.addJobTag("start-a");
                    fullDiskJob(sc);
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            runA.start();
            runA.join();
            assertNull(failed.get());
            assertNull(watch.seen(), "run a's full disk is not run b's");

            fullDiskJob(sc);
            PermanentFailureWatch.Seen seen = watch.seen();
            assertNotNull(seen, "run b's own full disk");
            assertEquals(PermanentIoFailure.Kind.NO_SPACE, seen.kind());
            assertTrue(seen.message().contains("No space left on device"), seen.message());
        } finally {
            sc.removeJobTag("start-b");
            sc.clearJobGroup();
        }
    }
}
