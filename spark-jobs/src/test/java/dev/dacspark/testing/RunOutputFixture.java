package dev.dacspark.testing;

import com.typesafe.config.ConfigFactory;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The output folder of one real, tiny run of the continual-learning job: three generated tasks, the
 * tiny CLIP, methods zero-shot, seq-lora and dac, W = 1 on the given session (local master). Tests that
 * read run outputs (report, notes) go through the run-output contract only: the manifest names the
 * results folder.
 */
public final class RunOutputFixture {
    private static Path prepared;

    private RunOutputFixture() {}

    /** Runs the job as run {@code runId} with output under {@code outputRoot}; returns the run's folder. */
    public static Path create(SparkSession spark, Path outputRoot, String runId) {
        Path world = world(spark);
        String hocon = """
                dac {
                  seed = %d
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  method { dropout = 0 }
                  methods = [zero-shot, seq-lora, dac]
                  train { iterations = 4, batch-size = 4 }
                  eval { batch-size = 16 }
                  output = "%s"
                  job { run-id = %s, data = "data", workers = 1, checkpoint-every = 2 }
                }
                """.formatted(Math.abs(runId.hashCode()) % 1000, outputRoot.toUri(), runId);
        new ContinualJob(spark, JobConfig.from(ConfigFactory.parseString(hocon), world)).run();
        return outputRoot.resolve(runId);
    }

    /** The prepared stream, the tiny CLIP and the tokenizer, made once per JVM. */
    private static synchronized Path world(SparkSession spark) {
        if (prepared == null) {
            try {
                Path dir = Files.createTempDirectory("dac-run-fixture");
                TinyWorld.checkpoint(dir, 3);
                TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 4, 4, 21);
                TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 4, 4, 22);
                TinyWorld.task(dir.resolve("src/stripes"), TinyWorld.Kind.STRIPES, 4, 4, 23);
                new PrepJob(spark, PrepConfig.from(ConfigFactory.parseString("""
                        dac.prep { output = "%s", workers = 1, resolution = 32, train-short-side = 40, tasks = [
                          { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."], shots = 2 }
                          { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."], shots = 2 }
                          { name = stripes, source { type = image-folder, root = "%s" }, templates = ["{}"], shots = 2 } ] }
                        """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri(),
                        dir.resolve("src/stripes").toUri())), null)).run();
                Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
                prepared = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return prepared;
    }
}
