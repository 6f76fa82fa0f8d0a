package dev.dacspark.spark.continual;

import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.cli.LocalSpark;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TinyWorld;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The job's results do not depend on how many workers train: the same run over one prepared stream
 * of 4 shards with W = 1, 2 and 4 (local-cluster[4,1,1024], LoRA dropout off) gives the same
 * accuracy matrix, the same last losses and the same merged weights (within float summation order).
 */
class WorkerCountTest {
    @TempDir
    static Path dir;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.localCluster("dac-spark worker-count test", 4, 1024, "@" + SparkSessions.jvmOptions(),
                Map.of("spark.barrier.sync.timeout", "120s"));
        TinyWorld.checkpoint(dir, 5);
        TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 8, 3, 31);
        TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 8, 3, 32);
        new PrepJob(spark, PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 4, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."] }
                  { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."] } ] }
                """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri())), null))
                .run();
        try {
            Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    static JobConfig config(int workers) {
        return JobConfig.from(ConfigFactory.parseString("""
                dac {
                  seed = 3
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  method { dropout = 0 }
                  methods = [dac]
                  train { iterations = 6, batch-size = 8 }
                  eval { batch-size = 8 }
                  output = "%s"
                  job { run-id = w%d, data = "data", workers = %d, train-split = train, checkpoint-every = 3, ring-timeout = 20s }
                }
                """.formatted(dir.resolve("runs").toUri(), workers, workers)), dir);
    }

    @Test
    void oneTwoAndFourWorkersTrainTheSameBatches() {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        JobConfig one = config(1);
        ContinualMetrics reference = new ContinualJob(spark, one).run().get(EvalSetting.MTIL).get("dac");
        RunManifest.MethodState base = RunManifest.JSON.convertValue(Storage.readJson(one.runDir() + "/_manifest.json", hadoop),
                RunManifest.class).methods.get("dac");
        for (int w : List.of(2, 4)) {
            JobConfig job = config(w);
            ContinualMetrics m = new ContinualJob(spark, job).run().get(EvalSetting.MTIL).get("dac");
            RunManifest.MethodState state = RunManifest.JSON.convertValue(Storage.readJson(job.runDir() + "/_manifest.json", hadoop),
                    RunManifest.class).methods.get("dac");
            for (int i = 1; i <= 2; i++) {
                for (int j = 1; j <= 2; j++) {
                    assertEquals(reference.acc(i, j), m.acc(i, j), 0.0, "W=" + w + ": acc[" + i + "][" + j + "]");
                }
            }
            for (int t = 0; t < 2; t++) {
                RunManifest.TaskEntry a = base.tasks.get(t);
                RunManifest.TaskEntry b = state.tasks.get(t);
                assertEquals(a.loss(), b.loss(), 1e-5, "W=" + w + " task " + (t + 1) + ": last loss");
                assertEquals(a.clipLoss(), b.clipLoss(), 1e-5, "W=" + w + " task " + (t + 1) + ": last clip loss");
                Map<String, SafeTensors.Tensor> wa = Storage.readSafeTensors(one.runDir() + "/" + a.merged(), hadoop);
                Map<String, SafeTensors.Tensor> wb = Storage.readSafeTensors(job.runDir() + "/" + b.merged(), hadoop);
                double max = 0;
                for (String k : wa.keySet()) {
                    float[] x = wa.get(k).toFloats();
                    float[] y = wb.get(k).toFloats();
                    for (int e = 0; e < x.length; e++) {
                        max = Math.max(max, Math.abs(x[e] - y[e]));
                    }
                }
                assertEquals(0, max, 1e-5, "W=" + w + " task " + (t + 1) + ": merged weights, largest difference");
            }
        }
    }
}
