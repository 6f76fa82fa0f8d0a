package dev.dacspark.spark.cli;

import org.apache.spark.sql.SparkSession;

/** The Spark session of a CLI command: an embedded master, quiet logs, no UI unless asked for. */
final class LocalSpark {
    private LocalSpark() {}

    static SparkSession session(String app, String master) {
        return SparkSession.builder().appName(app).master(master)
                .config("spark.ui.enabled", System.getProperty("dac.spark.ui", "false"))
                .config("spark.driver.host", System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1"))
                .getOrCreate();
    }

    /**
     * A local-cluster of {@code executors} executor JVMs (1 core, {@code memoryMb} each) on this machine,
     * set up for data-parallel training: this JVM's classpath and flags, DJL's and MKL's environment,
     * finite barrier timeout, task reaper. Needs SPARK_HOME (bin/dac sets one) with a jars/ folder.
     */
    static SparkSession localCluster(String app, int executors, int memoryMb) {
        String home = System.getenv("SPARK_HOME");
        String dacHome = System.getProperty("dac.home");
        if (home == null || dacHome == null) {
            throw new IllegalStateException("a local-cluster needs SPARK_HOME and -Ddac.home (bin/dac sets both)");
        }
        try {
            java.nio.file.Files.createDirectories(java.nio.file.Path.of(home, "jars"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        SparkSession.Builder b = SparkSession.builder().appName(app)
                .master("local-cluster[" + executors + ",1," + memoryMb + "]")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", "@" + dacHome + "/conf/jvm.options -Dlog4j2.configurationFile="
                        + dacHome + "/conf/log4j2.properties")
                .config("spark.barrier.sync.timeout", "600s")
                .config("spark.task.reaper.enabled", "true")
                .config("spark.task.reaper.killTimeout", "60s");
        for (String env : new String[] {"DJL_OFFLINE", "PYTORCH_VERSION", "PYTORCH_FLAVOR", "MKL_CBWR", "SPARK_LOCAL_IP",
                "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
            if (System.getenv(env) != null) {
                b.config("spark.executorEnv." + env, System.getenv(env));
            }
        }
        SparkSession spark = b.getOrCreate();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (spark.sparkContext().statusTracker().getExecutorInfos().length - 1 < executors) {
            if (System.nanoTime() > deadline) {
                spark.stop();
                throw new IllegalStateException(executors + " executors did not register within 120 s");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return spark;
    }
}
