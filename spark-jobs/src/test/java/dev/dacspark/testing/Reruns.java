package dev.dacspark.testing;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One job output root shared by the tests of a JVM (made once: a run is not cheap): two runs side by side, as
 * scheduled reruns leave them, and a third run folder that has started but not committed a task (no manifest yet).
 */
public final class Reruns {
    private Reruns() {}

    /** The output root and its two committed run folders, oldest first. */
    public record Output(Path root, List<Path> runs, Path started) {}

    private static Output output;

    public static synchronized Output get(SparkSession spark) {
        if (output == null) {
            try {
                Path root = Files.createTempDirectory("dac-reruns");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root)));
                List<Path> runs = List.of(RunOutputFixture.create(spark, root, "weekly-1"), RunOutputFixture.create(spark, root, "weekly-2"));
                Path started = Files.createDirectories(root.resolve("weekly-3"));
                Files.writeString(started.resolve("_run.json"), "{\"run_id\": \"weekly-3\"}");
                output = new Output(root, runs, started);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return output;
    }

    private static void delete(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
