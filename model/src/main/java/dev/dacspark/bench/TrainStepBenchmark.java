package dev.dacspark.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.DacLoss;
import dev.dacspark.train.DacStep;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training-step time of a CLIP with random weights: the frozen backbone's forward + backward
 * (gradients flow through every layer of both towers, the floor for any adapter method) against the
 * full DAC step (pools on every target layer, AGO against one earlier task, AdamW step).
 */
public final class TrainStepBenchmark {
    private final ClipConfig config;
    private final int batch;
    private final int iters;
    private final PrintWriter out;

    public TrainStepBenchmark(ClipConfig config, int batch, int iters, PrintWriter out) {
        this.config = config;
        this.batch = batch;
        this.iters = iters;
        this.out = out;
    }

    public void run() {
        out.printf(Locale.ROOT, "train-step benchmark: %s, batch %d, engine %s %s%n", config, batch,
                Engine.getInstance().getEngineName(), Engine.getInstance().getVersion());
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = new ClipModel(config);
            model.initialize(m, 0);
            model.setTrainable(false);
            long[] labels = new long[batch];
            Arrays.setAll(labels, i -> i % Math.max(1, batch - 1)); // one shared class, as real batches have
            SplittableRandom rng = new SplittableRandom(1);
            long[] tokens = new long[batch * config.contextLength()];
            for (int b = 0; b < batch; b++) {
                tokens[b * config.contextLength()] = config.vocabSize() - 2;
                for (int t = 1; t < 8; t++) {
                    tokens[b * config.contextLength() + t] = rng.nextInt(config.vocabSize() - 2);
                }
                tokens[b * config.contextLength() + 8] = config.vocabSize() - 1;
            }
            Shape imageShape = new Shape(batch, 3, config.imageResolution(), config.imageResolution());
            Shape textShape = new Shape(batch, config.contextLength());

            // Gradients must flow through every layer of both towers, as they do to LoRA everywhere: the two
            // positional embeddings (the towers' first parameters) record gradients, nothing else does.
            model.visual.positionalEmbedding.setTrainable(true);
            model.text.positionalEmbedding.setTrainable(true);
            double frozen = median(() -> {
                NDArray images = m.randomNormal(imageShape);
                NDArray text = m.create(tokens, textShape);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.logitsPerImage(model.encodeText(text), model.encodeImage(images));
                    gc.backward(DacLoss.clipLoss(logits, labels));
                }
                model.text.positionalEmbedding.array().getGradient().toFloatArray();
            });
            model.setTrainable(false);
            out.printf(Locale.ROOT, "frozen forward+backward: %.3f s/step%n", frozen);
            out.flush();

            for (DacConfig method : new DacConfig[] {DacConfig.defaults(), DacConfig.defaults().withDropout(0)}) {
                ExpertPools pools = ExpertPools.attach(model, method);
                pools.initialize(m, 1);
                pools.setTraining(true);
                pools.pools().forEach((name, p) -> memory.put(name,
                        m.randomNormal(0, 0.01f, new Shape(p.loraB.shape().get(0), method.rank()), DataType.FLOAT32)));
                AdamW optimizer = new AdamW(AdamW.Settings.defaults(), m);
                double dac = median(() -> {
                    DacStep.forwardBackward(model, pools, memory, m.randomNormal(imageShape), m.create(tokens, textShape), labels);
                    optimizer.step(pools.parameters(), AdamW.gradients(pools.parameters()), 2e-3);
                });
                out.printf(Locale.ROOT, "DAC step (pools, AGO, AdamW; LoRA dropout %.1f): %.3f s/step, overhead %+.1f%% over frozen%n",
                        method.dropout(), dac, (dac / frozen - 1) * 100);
                out.flush();
                pools.mergeAndDetach(null);
            }
        }
        out.printf(Locale.ROOT, "peak RSS: %.2f GB%n", ModelBenchmark.peakRssBytes() / 1e9);
        out.flush();
    }

    private double median(Runnable step) {
        double[] s = new double[iters];
        for (int i = -1; i < iters; i++) { // -1: warm-up
            try (NDScope scope = new NDScope()) {
                long t0 = System.nanoTime();
                step.run();
                if (i >= 0) {
                    s[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        Arrays.sort(s);
        return s[iters / 2];
    }
}
