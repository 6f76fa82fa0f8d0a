package dev.dacspark.testing;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.RgbImage;
import dev.dacspark.data.Sample;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.BatchPlan;
import dev.dacspark.train.Collective;
import dev.dacspark.train.CosineSchedule;
import dev.dacspark.train.TaskTrainer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Training tasks of the golden CLIP on generated images, through {@link TaskTrainer} as a rank trains a task. */
public final class GoldenTraining {
    public static final int CLASSES = 3;
    public static final int SAMPLES = 12;
    public static final int BATCH = 4;

    private GoldenTraining() {}

    /** The golden CLIP (vision 56 px), loaded on {@code m}. */
    public static ClipModel model(NDManager m) {
        return ClipCheckpoint.load(Golden.file("openai"), m);
    }

    /**
     * A trainer of one task on fresh pools (seeded by {@code task}) attached to {@code model}, with a shard of
     * generated images of {@link #CLASSES} classes, batch {@link #BATCH}, {@code steps} steps of cosine-annealed AdamW.
     */
    public static TaskTrainer trainer(ClipModel model, ExpertPools pools, TaskMemory memory, long task, int steps,
            Collective collective, NDManager m) {
        pools.initialize(m, task);
        pools.setTraining(true);
        int context = model.config().contextLength();
        long[] classTokens = new long[CLASSES * context];
        for (int c = 0; c < CLASSES; c++) { // start, two word ids, end (the highest id)
            classTokens[c * context] = 49406;
            classTokens[c * context + 1] = 320 + c;
            classTokens[c * context + 2] = 1000 + (int) task;
            classTokens[c * context + 3] = 49407;
        }
        SplittableRandom rng = new SplittableRandom(task);
        List<Sample> shard = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            byte[] rgb = new byte[64 * 64 * 3];
            for (int j = 0; j < rgb.length; j++) {
                rgb[j] = (byte) rng.nextInt(256);
            }
            RgbImage image = new RgbImage(64, 64, rgb);
            shard.add(new Sample("task" + task + "/" + i, i % CLASSES, () -> image));
        }
        return new TaskTrainer(model, pools, memory, new AdamW(AdamW.Settings.defaults(), m), new TaskTrainer.Setup(
                new ClipImageProcessor(ClipImageProcessor.Config.clip(model.config().imageResolution())), classTokens, context,
                new CosineSchedule(2e-3, 1e-6, steps), new BatchPlan(new int[] {SAMPLES}, BATCH, task), List.of(shard),
                new int[] {0}, task, true), collective, m);
    }

    /** The method's defaults with LoRA dropout off (runs repeat bit for bit). */
    public static DacConfig method() {
        return DacConfig.defaults().withDropout(0);
    }
}
