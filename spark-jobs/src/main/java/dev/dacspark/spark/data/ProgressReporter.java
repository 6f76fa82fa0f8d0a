package dev.dacspark.spark.data;

import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Logs a task's progress (records processed, quarantined, rate, ETA) from accumulators while a job runs. */
final class ProgressReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
    private final ScheduledExecutorService timer;

    ProgressReporter(String task, long total, LongAccumulator processed, LongAccumulator quarantined, int intervalSeconds) {
        long start = System.nanoTime();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prep-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            long done = processed.value();
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = done / Math.max(seconds, 1e-9);
            String eta = rate > 0 ? Math.round((total - done) / rate) + " s" : "?";
            LOG.info(String.format(Locale.ROOT, "prep '%s': %d/%d records (%.0f/s, ETA %s), %d quarantined", task, done, total,
                    rate, eta, quarantined.value()));
        }, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
