package dev.dacspark.testing;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Spark sessions for tests: {@code local[2]} (one JVM), or {@code local-cluster[2,1,1024]} with two
 * real executor JVMs that get this JVM's classpath and JVM flags.
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** The repository's conf/jvm.options (Spark's --add-opens list). */
    public static Path jvmOptions() {
        Path p = Path.of("..", "conf", "jvm.options").toAbsolutePath().normalize();
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing");
        }
        return p;
    }

    public static SparkSession local(Map<String, String> extra) {
        SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("dac-spark test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1");
        extra.forEach(b::config);
        return b.getOrCreate();
    }

    /** Two executor JVMs of 1 core and 1 GB each. */
    public static SparkSession localCluster(Map<String, String> extra) {
        String sparkHome = System.getenv("SPARK_HOME");
        if (sparkHome == null) {
            throw new IllegalStateException("SPARK_HOME is not set (surefire sets it for this module)");
        }
        try {
            Files.createDirectories(Path.of(sparkHome, "jars"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SparkSession.Builder b = SparkSession.builder().master("local-cluster[2,1,1024]").appName("dac-spark test cluster")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", "@" + jvmOptions())
                .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
        extra.forEach(b::config);
        SparkSession spark = b.getOrCreate();
        awaitExecutors(spark, 2, 120);
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
