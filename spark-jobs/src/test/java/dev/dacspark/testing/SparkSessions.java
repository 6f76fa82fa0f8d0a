package dev.dacspark.testing;

import dev.dacspark.spark.cli.LocalSpark;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * A JVM that runs {@code main} with {@code args} on this JVM's classpath with the repository's JVM flags and log
     * settings and a 2 GB heap, its output (both streams) to {@code log}: a driver a test can end outright.
     */
    public static ProcessBuilder childJvm(Path log, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + jvmOptions(), "-Xmx2g", "-Ddac.home=" + jvmOptions().getParent().getParent(),
                "-Dlog4j2.configurationFile=" + jvmOptions().getParent().resolve("log4j2.properties"),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    }

    public static SparkSession local(Map<String, String> extra) {
        SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("dac-spark test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.barrier.sync.timeout", "120s"); // the trainer refuses a session without it
        extra.forEach(b::config);
        return b.getOrCreate();
    }

    /** Two executor JVMs of 1 core and 1 GB each, as the trainer needs them (see {@link LocalSpark#localCluster}). */
    public static SparkSession localCluster(Map<String, String> extra) {
        return LocalSpark.localCluster("dac-spark test cluster", 2, 1024, "@" + jvmOptions(), extra);
    }
}
