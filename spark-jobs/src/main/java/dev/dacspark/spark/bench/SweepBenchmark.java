package dev.dacspark.spark.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.dacspark.config.Settings;
import dev.dacspark.spark.cli.DemoCommand;
import dev.dacspark.spark.sweep.SweepConfig;
import dev.dacspark.spark.sweep.SweepJob;
import org.apache.spark.sql.SparkSession;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code dac bench-spark sweep}: the wall time of the demo sweep's four runs (conf/demo-sweep.conf) on a local-cluster,
 * run concurrently (as many at once as the executors hold) against the same four runs one after the other
 * ({@code max-concurrent-runs = 1}), in one sitting on one prepared stream. Prints figures; asserts nothing.
 */
public final class SweepBenchmark {
    private final PrintWriter out;
    private final Path file;

    public SweepBenchmark(PrintWriter out, Path file) {
        this.out = out;
        this.file = file;
    }

    public void run(SparkSession spark) throws Exception {
        Config user = Settings.parse(file, "sweep config")
                .withValue("dac.demo.folder", ConfigValueFactory.fromAnyRef("../runs/bench-sweep", "dac bench-spark sweep"));
        Config base = DemoCommand.prepare(user, file, spark, out);
        double sequential = time(spark, base, "one-at-a-time", 1);
        double concurrent = time(spark, base, "concurrent", 0);
        out.printf(Locale.ROOT, "%nsweep of 4 runs (%s): one after the other %.1f s, concurrently %.1f s: %.2fx%n", file.getFileName(),
                sequential, concurrent, sequential / concurrent);
        out.flush();
    }

    /** One sweep start of the stream's four runs, {@code maxConcurrent} at once (0: as many as the executors hold). */
    private double time(SparkSession spark, Config base, String id, int maxConcurrent) {
        SweepConfig sweep = SweepConfig.from(base.withValue("dac.sweep.id", ConfigValueFactory.fromAnyRef(id, "bench"))
                .withValue("dac.sweep.max-concurrent-runs", ConfigValueFactory.fromAnyRef(maxConcurrent, "bench")),
                Settings.folder(file));
        int slots = new SweepJob(spark, sweep).concurrency();
        long t0 = System.nanoTime();
        SweepJob.Outcome o = new SweepJob(spark, sweep).run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!o.manifest().complete) {
            throw new IllegalStateException("sweep '" + id + "' did not complete: see " + sweep.dir() + "/_sweep.json");
        }
        out.printf(Locale.ROOT, "%-14s %d run(s) at a time: %.1f s%n", id, slots, seconds);
        out.flush();
        return seconds;
    }
}
