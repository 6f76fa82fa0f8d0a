package dev.dacspark.spark.sweep;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.continual.JobEvents;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.report.HtmlReport;
import dev.dacspark.spark.report.SweepTable;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.train.DistributedTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Runs a sweep's runs side by side on one Spark session. Each run is the continual-learning job
 * ({@link ContinualJob}, its own resume and lease) on a driver thread of a fixed pool of
 * {@link #concurrency} threads; the rest wait in the pool's queue. A run's Spark jobs carry its job group
 * {@code <sweep-id>/<run-id>} and go to its own FAIR scheduler pool, so runs share the executors evenly, and
 * its training stages are barrier stages of its own W ranks; one executor JVM still trains one rank at a time
 * (the executor's model lease), so as many runs train at once as the executors hold their ranks.
 *
 * <p>A run that fails is started again up to {@code dac.sweep.retries} times (each start resumes where the last
 * stopped) and then recorded as failed with its error; the other runs go on. Starting the sweep again skips
 * every run whose folder holds a complete run of the same config and resumes the others. The sweep manifest
 * ({@link SweepManifest}) is rewritten whenever a run changes state, and last after the results tables
 * ({@link SweepTable}: JSON, Parquet, and the HTML sweep page {@value #PAGE}).
 */
public final class SweepJob {
    private static final Logger LOG = LoggerFactory.getLogger(SweepJob.class);
    /** The sweep's HTML page, in the sweep folder. */
    public static final String PAGE = "sweep.html";

    private final SparkSession spark;
    private final SweepConfig sweep;
    private final Function<String, JobEvents> events;
    private final Configuration hadoop;

    public SweepJob(SparkSession spark, SweepConfig sweep) {
        this(spark, sweep, runId -> JobEvents.NONE);
    }

    /** A sweep whose run {@code id} calls {@code events.apply(id)} at the job's test points. */
    public SweepJob(SparkSession spark, SweepConfig sweep, Function<String, JobEvents> events) {
        this.spark = spark;
        this.sweep = sweep;
        this.events = events;
        this.hadoop = spark.sparkContext().hadoopConfiguration();
    }

    /** What a sweep start ends with: its manifest as written last, and its results tables. */
    public record Outcome(SweepManifest manifest, SweepTable table) {}

    /** Runs (or resumes) every run. */
    public Outcome run() {
        String mode = spark.sparkContext().getConf().get("spark.scheduler.mode", "FIFO");
        if (!mode.equalsIgnoreCase("FAIR")) {
            throw new IllegalStateException("a sweep shares the cluster between its runs with Spark's FAIR scheduler, but this "
                    + "session has spark.scheduler.mode = " + mode + ": start it with --conf spark.scheduler.mode=FAIR "
                    + "(bin/dac and its local masters set it)");
        }
        int concurrent = concurrency();
        SweepManifest manifest = SweepManifest.start(sweep);
        manifest.publish(sweep.dir(), hadoop);
        LOG.info("sweep '{}': {} runs, {} at a time, in {}", sweep.id(), sweep.runs().size(), concurrent, sweep.dir());
        Map<String, SweepTable.RunMetrics> done = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(concurrent, r -> {
            Thread t = new Thread(r, "sweep " + sweep.id());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SweepConfig.Run run : sweep.runs()) {
                if (run.job() == null) {
                    LOG.error("sweep '{}': run '{}' refused: {}", sweep.id(), run.id(), run.error());
                } else {
                    futures.add(pool.submit(() -> start(run, manifest, done)));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("sweep '" + sweep.id() + "' interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("sweep '" + sweep.id() + "': " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }

        List<SweepTable.RunRow> rows = manifest.runs.stream().map(r -> new SweepTable.RunRow(r.id, r.axes,
                r.state.name().toLowerCase(java.util.Locale.ROOT), r.runDir, r.error)).toList();
        List<SweepTable.RunMetrics> results = sweep.runs().stream().map(r -> done.get(r.id())).filter(r -> r != null).toList();
        SweepTable table = SweepTable.of(sweep.id(), rows, sweep.groupAxes(), results);
        table.write(spark, sweep.dir());
        Storage.publish(sweep.dir() + "/" + PAGE, HtmlReport.sweep(table).getBytes(StandardCharsets.UTF_8), hadoop);
        manifest.results = List.of(SweepTable.JSON_FILE, SweepTable.PARQUET, PAGE);
        manifest.complete = results.size() == sweep.runs().size();
        manifest.publish(sweep.dir(), hadoop);
        LOG.info("sweep '{}': {} of {} runs done; results in {}", sweep.id(), results.size(), sweep.runs().size(), sweep.dir());
        return new Outcome(manifest, table);
    }

    /**
     * Runs at once: {@code dac.sweep.max-concurrent-runs}, or as many as the executors hold (each trains one rank at a
     * time): executors / the largest W of the runs, at least 1 (a local master's one JVM trains one run at a time).
     */
    public int concurrency() {
        if (sweep.maxConcurrentRuns() > 0) {
            return sweep.maxConcurrentRuns();
        }
        int executors = spark.sparkContext().statusTracker().getExecutorInfos().length - 1; // minus the driver
        int w = sweep.runs().stream().filter(r -> r.job() != null).mapToInt(r -> r.job().workers()).max().orElse(1);
        return Math.max(1, executors / w);
    }

    /** One run on this driver thread, in its job group and scheduler pool: skipped when complete, else started (and retried). */
    private void start(SweepConfig.Run run, SweepManifest manifest, Map<String, SweepTable.RunMetrics> done) {
        SweepManifest.RunEntry entry = manifest.run(run.id());
        JobConfig job = run.job();
        SparkContext sc = spark.sparkContext();
        String group = sweep.id() + "/" + run.id();
        sc.setLocalProperty("spark.scheduler.pool", group);
        sc.setJobGroup(group, "dac sweep " + group, false);
        job.applyTo(hadoop); // the run folder's filesystem settings (S3), before its manifest is looked at
        try {
            RunManifest complete = completed(job);
            if (complete != null) {
                LOG.info("sweep '{}': run '{}' is complete in an earlier start", sweep.id(), run.id());
                finish(manifest, entry, SweepManifest.State.DONE, null);
                done.put(run.id(), new SweepTable.RunMetrics(run.id(), run.axes(), complete.metrics(job.run().eval().settings())));
                return;
            }
            for (int attempt = 1; ; attempt++) {
                synchronized (manifest) {
                    entry.state = SweepManifest.State.RUNNING;
                    entry.starts = attempt;
                    entry.error = null;
                }
                manifest.publish(sweep.dir(), hadoop);
                try {
                    Map<EvalSetting, Map<String, ContinualMetrics>> metrics = new ContinualJob(spark, job,
                            new DistributedTrainer(spark, job.attempts()), events.apply(run.id())).run();
                    done.put(run.id(), new SweepTable.RunMetrics(run.id(), run.axes(), metrics));
                    finish(manifest, entry, SweepManifest.State.DONE, null);
                    return;
                } catch (RuntimeException e) {
                    boolean last = attempt > sweep.retries();
                    LOG.error("sweep '{}': run '{}' failed (start {} of {}){}: {}", sweep.id(), run.id(), attempt,
                            sweep.retries() + 1, last ? "" : ", starting it again", e.getMessage(), e);
                    if (last) {
                        finish(manifest, entry, SweepManifest.State.FAILED, e.getMessage());
                        return;
                    }
                }
            }
        } finally {
            sc.clearJobGroup();
            sc.setLocalProperty("spark.scheduler.pool", null);
        }
    }

    private void finish(SweepManifest manifest, SweepManifest.RunEntry entry, SweepManifest.State state, String error) {
        synchronized (manifest) {
            entry.state = state;
            entry.error = error;
            entry.finished = Instant.now().toString();
        }
        manifest.publish(sweep.dir(), hadoop);
    }

    /** The run's manifest when its folder holds a complete run of this very config; null otherwise (start it: it resumes). */
    private RunManifest completed(JobConfig job) {
        if (!Storage.exists(job.runDir() + "/" + RunManifest.FILE, hadoop)) {
            return null;
        }
        RunManifest m = RunManifest.read(job.runDir(), hadoop);
        return m.complete && job.fingerprint().equals(m.configSha256) ? m : null;
    }
}
