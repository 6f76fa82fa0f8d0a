package dev.dacspark.spark.train;

import dev.dacspark.spark.storage.PermanentFailureWatch;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.dacspark.train.TaskTrainer;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.rdd.RDD;
import scala.Function1;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The driver side of one task's data-parallel training: one Spark barrier stage of W tasks (one
 * rank per executor), ended with a shuffle so that Spark retries a failed barrier stage (a failed
 * barrier result stage is not retried), inside a driver retry loop for what Spark does not retry.
 * Every attempt resumes from the latest step checkpoint that rank 0 wrote.
 */
public final class DistributedTrainer implements TaskBackend {
    private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

    private final SparkSession spark;
    private final int driverAttempts;

    public DistributedTrainer(SparkSession spark, int driverAttempts) {
        this.spark = spark;
        this.driverAttempts = driverAttempts;
    }

    /** Refuses settings under which data-parallel training cannot work, with the setting to change. */
    public static void checkCluster(SparkSession spark, int world) {
        String master = spark.sparkContext().master();
        int executors = master.startsWith("local[") || master.equals("local") ? 1
                : spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
        checkCluster(spark.sparkContext().getConf(), master, executors, world);
    }

    /**
     * {@link #checkCluster(SparkSession, int)} for given settings, master and number of executor JVMs (the deploy
     * files are checked against it).
     */
    public static void checkCluster(SparkConf conf, String master, int executors, int world) {
        if (world > executors) { // first: on a local master the settings below are not what is wrong
            throw new IllegalStateException(String.format(Locale.ROOT, "%d training ranks need %d executor JVMs (one rank per JVM: "
                    + "DJL allows one gradient collector per JVM), but the cluster has %d (master %s)%s", world, world, executors, master,
                    master.startsWith("local[") || master.equals("local")
                            ? "; on one machine start %d executor JVMs with --master local-cluster[%d,1,2048], or train with dac.job.workers = 1"
                                    .formatted(world, world)
                            : "; give the cluster more executors, or lower dac.job.workers"));
        }
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new IllegalStateException("spark.dynamicAllocation.enabled is true: barrier stages need a fixed set of executors; "
                    + "set it to false (EMR turns it on by default)");
        }
        if (conf.getBoolean("spark.speculation", false)) {
            throw new IllegalStateException("spark.speculation is true: a speculative copy of a rank would join the ring twice; set it to false");
        }
        if (!conf.contains("spark.barrier.sync.timeout")) {
            throw new IllegalStateException("spark.barrier.sync.timeout is not set: its default (365 days) lets a failed peer hang "
                    + "the others; set it, e.g. to 600s");
        }
        if (world > 1 && !conf.getBoolean("spark.task.reaper.enabled", false)) {
            throw new IllegalStateException("spark.task.reaper.enabled is false: a hung rank ignores the kill of a failed barrier "
                    + "stage and holds its slot, so the retry never starts; set spark.task.reaper.enabled=true and "
                    + "spark.task.reaper.killTimeout (e.g. 120s) so that Spark ends such an executor");
        }
        int executorCores = conf.getInt("spark.executor.cores", 1);
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        if (!master.startsWith("local") && taskCpus < executorCores) {
            throw new IllegalStateException("spark.task.cpus (" + taskCpus + ") is below spark.executor.cores (" + executorCores
                    + "): two ranks could share an executor JVM; set spark.task.cpus = spark.executor.cores");
        }
    }

    @Override
    public void check(int world) {
        checkCluster(spark, world);
    }

    /**
     * Trains one task; returns rank 0's report of the last attempt. A stage cancelled from outside (the job lost
     * its lease and cancelled its Spark jobs) fails the attempt, and the guard stops the retry.
     */
    @Override
    public RankTask.Report train(TrainTaskSpec spec, Runnable guard) {
        checkCluster(spark, spec.worldSize());
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LongAccumulator steps = sc.sc().longAccumulator("train " + spec.task().name() + " steps");
        StageVerdict.clear(spec.checkpoints().dir(), sc.hadoopConfiguration()); // a new start of the task: judge afresh
        try (PermanentFailureWatch watch = PermanentFailureWatch.start(spark.sparkContext())) {
            return attempts(spec, guard, sc, steps, watch);
        }
    }

    /** Up to {@code driverAttempts} barrier stages of the task, each resuming from the latest step checkpoint. */
    private RankTask.Report attempts(TrainTaskSpec spec, Runnable guard, JavaSparkContext sc, LongAccumulator steps,
            PermanentFailureWatch watch) {
        String name = spec.task().name();
        RuntimeException last = null;
        for (int attempt = 1; attempt <= driverAttempts; attempt++) {
            guard.run();
            sc.setJobDescription(String.format(Locale.ROOT, "train task %d '%s' (W=%d, attempt %d)", spec.task().index() + 1,
                    name, spec.worldSize(), attempt));
            try (AutoCloseable progress = progress(spec, steps)) {
                RankTask task = new RankTask(spec, sc.hadoopConfiguration(), steps);
                JavaRDD<Integer> ranks = sc.parallelize(IntStream.range(0, spec.worldSize()).boxed().toList(), spec.worldSize());
                ClassTag<RankTask.Report> tag = ClassTag$.MODULE$.apply(RankTask.Report.class);
                RDD<RankTask.Report> trained = ranks.rdd().barrier().mapPartitions(
                        (Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<RankTask.Report>> & java.io.Serializable)
                                it -> JavaConverters.asScalaIterator(List.of(runRank(task)).iterator()),
                        false, tag);
                List<RankTask.Report> reports = JavaRDD.fromRDD(trained, tag)
                        // a shuffle after the barrier stage: Spark retries a failed barrier stage only when a later stage reads it
                        .mapToPair(r -> new Tuple2<>(r.rank(), r))
                        .partitionBy(new org.apache.spark.HashPartitioner(1))
                        .values().collect();
                RankTask.Report report = reports.stream().filter(r -> r.rank() == 0).findFirst().orElseThrow();
                TaskTrainer.Timings t = report.timings();
                LOG.info(String.format(Locale.ROOT, "task '%s': trained steps %d..%d on %d ranks in %.1f s (data %.1f s, "
                        + "communication %.1f s, compute %.1f s; rank 0: %.1f device-host transfers per step), last loss %.4f "
                        + "(clip %.4f, ago %.4f)", name, report.startStep(), spec.iterations(), spec.worldSize(), report.seconds(),
                        t.dataSeconds(), t.communicationSeconds(), t.computeSeconds(), t.transfersPerStep(), report.losses().loss(),
                        report.losses().clip(), report.losses().ago()));
                return report;
            } catch (SparkException | RuntimeException e) {
                guard.run();
                // only infrastructure failures (a lost executor, a timeout, I/O) are worth another attempt: not a full or
                // unwritable store (the watch cancelled the stage at its first such failure), not a deterministic failure
                watch.rethrowIfSeen(e, "training task '" + name + "' (step checkpoints in " + spec.checkpoints().dir() + ")");
                String verdict = StageVerdict.read(spec.checkpoints().dir(), sc.hadoopConfiguration());
                if (verdict != null) {
                    throw new DeterministicFailure("task '" + name + "': training failed, and a retry would fail the same way: "
                            + verdict, e);
                }
                last = e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
                LOG.warn("task '{}': training attempt {} of {} failed: {}", name, attempt, driverAttempts, rootMessage(e));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("task '" + name + "': training failed " + driverAttempts + " times; last: "
                + rootMessage(last), last);
    }

    private static RankTask.Report runRank(RankTask task) {
        try {
            return task.run(BarrierTaskContext.get());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Logs the task's step while a stage runs: rank 0's count of this attempt after the step it resumed from, the rate
     * and the ETA of the steps left.
     */
    private AutoCloseable progress(TrainTaskSpec spec, LongAccumulator steps) {
        int from = StepCheckpoint.latestStep(spec.checkpoints().dir(), spark.sparkContext().hadoopConfiguration());
        StepProgress reported = StepProgress.listen(spark.sparkContext(), steps);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "train-progress");
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        timer.scheduleAtFixedRate(() -> LOG.info(progressLine(spec.task().name(), from, reported.steps(), spec.iterations(),
                (System.nanoTime() - t0) / 1e9)), 15, 15, TimeUnit.SECONDS);
        return () -> {
            timer.shutdownNow();
            reported.close();
        };
    }

    /** "task 'x': step ~S of N (D this attempt, resumed after step F; R it/s, ETA E s)": the ETA counts the steps left. */
    static String progressLine(String task, int from, long done, int iterations, double seconds) {
        double rate = done / seconds;
        long left = iterations - from - done;
        return String.format(Locale.ROOT, "task '%s': step ~%d of %d (%d this attempt%s; %.2f it/s%s)", task, from + done, iterations,
                done, from > 0 ? ", resumed after step " + from : "", rate, rate > 0 ? ", ETA " + Math.round(left / rate) + " s" : "");
    }

    static String rootMessage(Throwable e) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                messages.add(t.getMessage());
            }
        }
        return messages.isEmpty() ? String.valueOf(e) : messages.get(messages.size() - 1);
    }
}
