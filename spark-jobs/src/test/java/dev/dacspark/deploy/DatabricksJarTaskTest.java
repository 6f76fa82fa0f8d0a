package dev.dacspark.deploy;

import dev.dacspark.spark.cli.DacSparkCli;
import dev.dacspark.spark.cli.DacSparkJarTask;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TinyWorld;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job's two entries. As Databricks runs a JAR task: its SparkSession is running before main is called, in the
 * same JVM, and main must return (a System.exit here would end the test JVM, and surefire reports the crash) or
 * throw, leaving that session running for the host. Under spark-submit, DacSparkCli's exit status is the command's.
 */
class DatabricksJarTaskTest {
    @TempDir
    static Path dir;
    /** The host's session, created before any main is called. */
    static SparkSession host;

    @BeforeAll
    static void startTheHostsSession() {
        host = SparkSessions.local(Map.of());
    }

    @AfterAll
    static void stopTheHostsSession() {
        host.stop();
    }

    /** A prep config of one generated image-folder task under {@code root} (a folder that need not exist). */
    static Path prepConfig(String name, Path root) throws IOException {
        return Files.writeString(dir.resolve(name + ".conf"), """
                dac.prep { output = "%s", workers = 2, resolution = 32, train-short-side = 40,
                  tasks = [ { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."], shots = 2 } ] }
                """.formatted(dir.resolve(name).toUri(), root.toUri()));
    }

    static void assertTheHostsSessionStillWorks() {
        assertFalse(host.sparkContext().isStopped(), "the host's session was stopped");
        assertSame(host, SparkSession.builder().getOrCreate(), "the host's session is still the JVM's session");
        assertEquals(3, host.range(3).count());
    }

    @Test
    void aSucceedingTaskReturnsAndLeavesTheHostsSessionRunning() throws IOException {
        Path colors = TinyWorld.task(dir.resolve("colors"), TinyWorld.Kind.COLORS, 4, 2, 5);
        DacSparkJarTask.main(new String[] {"prep", "--config", prepConfig("prepared", colors).toString()});
        assertTrue(Files.exists(dir.resolve("prepared/_manifest.json")), "prep ran on the host's session");
        assertTheHostsSessionStillWorks();
    }

    @Test
    void aFailingTaskThrowsTheCommandsErrorAndLeavesTheHostsSessionRunning() throws IOException {
        String config = prepConfig("failed", dir.resolve("nowhere")).toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DacSparkJarTask.main(new String[] {"prep", "--config", config}));
        assertTrue(e.getMessage().contains("image-folder root") && e.getMessage().contains("nowhere"), e.getMessage());
        assertTheHostsSessionStillWorks();

        assertThrows(CommandLine.ParameterException.class, () -> DacSparkJarTask.main(new String[] {"prep"}), "no --config");
        assertTheHostsSessionStillWorks();
    }

    /** DacSparkCli.main in its own JVM, as spark-submit starts it: a failed command exits 1, bad usage 2, help 0. */
    @Test
    void underSparkSubmitTheExitStatusIsTheCommands() throws IOException {
        String failing = prepConfig("submitted", dir.resolve("nowhere")).toString();
        assertEquals(1, cli("prep", "--config", failing).exit(), "a command that fails after starting its session");
        assertEquals(2, cli("prep").exit(), "a missing required option");
        assertEquals(0, cli("prep", "--help").exit());
    }

    private static Scripts.Result cli(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "@" + SparkSessions.jvmOptions(), "-cp", System.getProperty("java.class.path"), DacSparkCli.class.getName()));
        command.addAll(List.of(args));
        return Scripts.run(command, dir, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), 120);
    }
}
