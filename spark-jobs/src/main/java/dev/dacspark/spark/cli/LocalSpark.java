package dev.dacspark.spark.cli;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Spark session of a CLI command: an embedded master, quiet logs, no UI unless asked for, and Spark's FAIR
 * scheduler (a sweep's runs share the executors through one pool each; a single run's jobs run as under FIFO).
 */
public final class LocalSpark {
    private LocalSpark() {}

    /** A command's session; {@link #close} stops it only when the command started it. */
    public record Session(SparkSession spark, boolean startedHere) implements AutoCloseable {
        @Override
        public void close() {
            if (startedHere) {
                spark.stop();
            }
        }
    }

    /**
     * The session of a command. A session already running in this JVM (a Databricks JAR task's, see
     * {@link DacSparkJarTask}) is used as it is, whatever {@code master} says, and left running. Otherwise a new one:
     * under spark-submit the master and settings come from spark-submit ({@code master} null); else an embedded
     * master ({@code master}, default local[*]), where {@code local-cluster[N,1,MB]} starts N executor JVMs on this
     * machine (see {@link #localCluster}).
     */
    public static Session session(String app, String master) {
        scala.Option<SparkSession> running = SparkSession.getActiveSession();
        if (running.isEmpty()) {
            running = SparkSession.getDefaultSession();
        }
        if (running.isDefined() && !running.get().sparkContext().isStopped()) {
            return new Session(running.get(), false);
        }
        return new Session(start(app, master), true);
    }

    private static SparkSession start(String app, String master) {
        String submitted = System.getProperty("spark.master");
        if (master == null && submitted != null) {
            return SparkSession.builder().appName(app).getOrCreate();
        }
        java.util.regex.Matcher cluster = java.util.regex.Pattern.compile("local-cluster\\[(\\d+),\\s*1,\\s*(\\d+)]").matcher(
                master == null ? "" : master);
        if (cluster.matches()) {
            String home = System.getProperty("dac.home", ".");
            return localCluster(app, Integer.parseInt(cluster.group(1)), Integer.parseInt(cluster.group(2)), "@" + home
                    + "/conf/jvm.options -Dlog4j2.configurationFile=" + home + "/conf/log4j2.properties", Map.of());
        }
        if (master != null && master.startsWith("local-cluster")) {
            throw new IllegalArgumentException("--master " + master + ": use local-cluster[N,1,MB] (one core per executor JVM)");
        }
        return SparkSession.builder().appName(app).master(master == null ? "local[*]" : master)
                .config("spark.barrier.sync.timeout", "600s")
                .config("spark.scheduler.mode", "FAIR")
                .config("spark.ui.enabled", System.getProperty("dac.spark.ui", "false"))
                .config("spark.driver.host", System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1"))
                .getOrCreate();
    }

    /**
     * A local-cluster of {@code executors} executor JVMs (1 core, {@code memoryMb} each) on this machine,
     * set up for data-parallel training: this JVM's classpath, the given executor JVM options, this
     * process's DJL, MKL and allocator environment, a finite barrier timeout and the task reaper.
     * Needs SPARK_HOME with a jars/ folder (created here; bin/dac and the tests set SPARK_HOME).
     * Returns once every executor has registered.
     */
    public static SparkSession localCluster(String app, int executors, int memoryMb, String executorJavaOptions,
            Map<String, String> extra) {
        String home = System.getenv("SPARK_HOME");
        if (home == null) {
            throw new IllegalStateException("a local-cluster needs SPARK_HOME (a folder with a jars/ folder; bin/dac sets one)");
        }
        try {
            Files.createDirectories(Path.of(home, "jars"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SparkSession.Builder b = SparkSession.builder().appName(app)
                .master("local-cluster[" + executors + ",1," + memoryMb + "]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", executorJavaOptions)
                .config("spark.barrier.sync.timeout", "600s")
                .config("spark.scheduler.mode", "FAIR")
                .config("spark.task.reaper.enabled", "true")
                .config("spark.task.reaper.killTimeout", "60s");
        for (String env : new String[] {"DJL_OFFLINE", "PYTORCH_VERSION", "PYTORCH_FLAVOR", "MKL_CBWR", "MKL_DYNAMIC", "SPARK_LOCAL_IP",
                "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
            if (System.getenv(env) != null) {
                b.config("spark.executorEnv." + env, System.getenv(env));
            }
        }
        extra.forEach(b::config);
        SparkSession spark = b.getOrCreate();
        awaitExecutors(spark, executors, 120);
        return spark;
    }

    /** Waits (bounded) until this many executors have registered; executors start asynchronously. */
    public static void awaitExecutors(SparkSession spark, int executors, int timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (spark.sparkContext().statusTracker().getExecutorInfos().length - 1 < executors) { // minus the driver
            if (System.nanoTime() > deadline) {
                spark.stop();
                throw new IllegalStateException(executors + " executors did not register within " + timeoutSeconds + " s");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
