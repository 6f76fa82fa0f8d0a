package dev.dacspark.spark.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Precision;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.train.DistributedTrainer;
import dev.dacspark.spark.train.FaultInjector;
import dev.dacspark.spark.train.RankTask;
import dev.dacspark.spark.train.TrainTaskSpec;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.CosineSchedule;
import dev.dacspark.train.TaskTrainer;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Data-parallel step time split into data / communication / compute, at W = 1 and W = 2 ranks on
 * a {@code local-cluster} (two executor JVMs on this machine), for a small CLIP with random weights
 * on generated images. Per rank batch b stays the same, so W = 2 trains twice the global batch.
 */
public final class TrainSplitBenchmark {
    /** A small CLIP: 64 px, patch 8, 4 x 256 on both towers, CLIP's vocabulary. */
    static final ClipConfig SMALL = new ClipConfig(256, 64, 4, 256, 8, 4, 77, 49408, 256, 4, 4);

    private final PrintWriter out;
    private final int steps;
    private final int batch;

    public TrainSplitBenchmark(PrintWriter out, int steps, int batch) {
        this.out = out;
        this.steps = steps;
        this.batch = batch;
    }

    public void run(SparkSession spark) throws IOException {
        Path dir = Files.createTempDirectory("dac-train-bench");
        Path checkpoint = dir.resolve("small-clip.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(SMALL);
            model.initialize(m, 1);
            ClipCheckpoint.save(model, checkpoint, ClipCheckpoint.Format.OPENAI, Map.of());
        }
        for (String cls : List.of("a", "b")) {
            ImageBenchmark.generate(dir.resolve("images/" + cls), 40);
        }
        PrepConfig prep = PrepConfig.from(ConfigFactory.parseString(String.format(Locale.ROOT, """
                dac.prep { output = "%s", workers = 2, resolution = 64, train-short-side = 72,
                  tasks = [ { name = bench, source { type = image-folder, root = "%s" }, templates = ["{}"], split { random = 0.9 } } ] }
                """, dir.resolve("prep").toUri(), dir.resolve("images").toUri())), null);
        new PrepJob(spark, prep).run();
        JsonNode files = new ObjectMapper().readTree(dir.resolve("prep/bench/_task.json").toFile()).get("files");
        List<List<String>> shards = List.of(new ArrayList<>(), new ArrayList<>());
        files.fieldNames().forEachRemaining(f -> {
            if (f.startsWith("train/shard=")) {
                shards.get(f.charAt("train/shard=".length()) - '0').add(dir.resolve("prep/bench").resolve(f).toUri().toString());
            }
        });
        long[] tokens = new long[2 * 77];
        for (int c = 0; c < 2; c++) {
            tokens[c * 77] = 49406;
            tokens[c * 77 + 1] = 320 + c;
            tokens[c * 77 + 2] = 49407;
        }
        out.printf(Locale.ROOT, "train-step split: %s, batch %d per rank, %d steps, LoRA dropout 0.2, on %s%n", SMALL, batch, steps,
                spark.sparkContext().master());
        for (int world : new int[] {1, 2}) {
            TrainTaskSpec spec = new TrainTaskSpec(new TrainTaskSpec.Task(0, "bench", 7, tokens, 77),
                    new TrainTaskSpec.Start(checkpoint.toUri().toString(), Precision.FP32, null),
                    new TrainTaskSpec.Training(DacConfig.defaults(), AdamW.Settings.defaults(), new CosineSchedule(2e-3, 1e-6, steps),
                            batch * world / 2, false), new TrainTaskSpec.Data(shards, world), new TrainTaskSpec.Checkpoints(dir.resolve("ckpt-w" + world).toUri().toString(), steps, steps,
                            60_000), FaultInjector.NONE);
            RankTask.Report r = new DistributedTrainer(spark, 1).train(spec);
            TaskTrainer.Timings t = r.timings();
            out.printf(Locale.ROOT, "W=%d: %.3f s/step = data %.3f + communication %.3f + compute %.3f (rank 0, %d steps; "
                    + "%.1f device-host transfers per step)%n", world, (t.dataSeconds() + t.communicationSeconds() + t.computeSeconds())
                    / t.steps(), t.dataSeconds() / t.steps(), t.communicationSeconds() / t.steps(), t.computeSeconds() / t.steps(),
                    t.steps(), t.transfersPerStep());
            out.flush();
        }
    }
}
