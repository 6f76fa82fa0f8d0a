package dev.dacspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.DacLoss;
import dev.dacspark.train.DacStep;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training-step time of a CLIP with random weights: the frozen backbone's forward + backward
 * (gradients flow through every layer of both towers, the floor for any adapter method) against the
 * full DAC step (pools on every target layer, AGO against one earlier task, AdamW step), each with its
 * device-host transfers per step ({@link HostTransfers}), the backbone in the given {@link Precision}. Both steps take their batch from Java memory,
 * as training does.
 */
public final class TrainStepBenchmark {
    private final ClipConfig config;
    private final Device device;
    private final Precision precision;
    private final int batch;
    private final int iters;
    private final PrintWriter out;

    public TrainStepBenchmark(ClipConfig config, Device device, Precision precision, int batch, int iters, PrintWriter out) {
        if (iters < 1) {
            throw new IllegalArgumentException("--iters must be at least 1");
        }
        this.config = config;
        this.device = device;
        this.precision = precision;
        this.batch = batch;
        this.iters = iters;
        this.out = out;
    }

    /** What {@link #measure} measured: the floor, each method's DAC step, and the merged model's inference. */
    public record Result(Measured frozen, List<Dac> dac, double mergedImagesPerSecond) {}

    /**
     * A DAC step of {@code method}, with its overhead over the floor and the median time of its AdamW call (on a GPU the
     * host's time to launch the update, which the device runs while the next step is launched).
     */
    public record Dac(DacConfig method, Measured step, double overhead, double optimizerSeconds) {}

    /** The benchmark's figures, printed: the floor, then the DAC step with LoRA dropout 0.2 and without. */
    public void run() {
        measure(List.of(DacConfig.defaults(), DacConfig.defaults().withDropout(0)), false);
        out.printf(Locale.ROOT, "peak RSS: %.2f GB%n", ModelBenchmark.peakRssBytes() / 1e9);
        out.flush();
    }

    /**
     * The frozen forward+backward, then a DAC step of each of {@code methods} (each detached after it is measured), each
     * line printed as it is measured; with {@code mergedInference}, then the image-encoder throughput of the model
     * without pools (what a merged model costs: plain CLIP) at the same batch (NaN without).
     */
    public Result measure(List<DacConfig> methods, boolean mergedInference) {
        out.printf(Locale.ROOT, "train-step benchmark: %s, backbone %s, batch %d, device %s, engine %s %s%n", config, Section.id(precision), batch, device,
                Engine.getInstance().getEngineName(), Engine.getInstance().getVersion());
        List<Dac> dacs = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(device); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = new ClipModel(config);
            model.initialize(m, 0);
            model.setPrecision(precision);
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
            float[] pixels = new float[Math.toIntExact(imageShape.size())];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) (rng.nextDouble() * 2 - 1);
            }

            // Gradients must flow through every layer of both towers, as they do to LoRA everywhere: the two
            // positional embeddings (the towers' first parameters) record gradients, nothing else does.
            model.visual.positionalEmbedding.setTrainable(true);
            model.text.positionalEmbedding.setTrainable(true);
            Measured frozen = median(() -> {
                NDArray images = HostTransfers.float32(m, pixels, imageShape);
                NDArray text = HostTransfers.int64(m, tokens, textShape);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.logitsPerImage(model.encodeText(text), model.encodeImage(images));
                    NDArray loss = DacLoss.clipLoss(logits, labels);
                    gc.backward(loss);
                    HostTransfers.floats(loss); // the loss out, as a step reports it; waits for the backward on a GPU
                }
            });
            model.setTrainable(false);
            out.printf(Locale.ROOT, "frozen forward+backward: %.3f s/step, %s%n", frozen.seconds(), frozen.transfers());
            out.flush();

            for (DacConfig method : methods) {
                ExpertPools pools = ExpertPools.attach(model, method);
                pools.initialize(m, 1);
                pools.setTraining(true);
                pools.pools().forEach((name, p) -> memory.put(name,
                        m.randomNormal(0, 0.01f, new Shape(p.loraB.shape().get(0), method.rank()), DataType.FLOAT32)));
                AdamW optimizer = new AdamW(AdamW.Settings.defaults(), m);
                double[] optimizerSeconds = new double[iters + 1]; // the warm-up's first
                int[] call = {0};
                Measured dac = median(() -> {
                    DacStep.forwardBackward(model, pools, memory, HostTransfers.float32(m, pixels, imageShape),
                            HostTransfers.int64(m, tokens, textShape), labels);
                    long t0 = System.nanoTime();
                    optimizer.step(pools.parameters(), AdamW.gradients(pools.parameters()), 2e-3);
                    optimizerSeconds[call[0]++] = (System.nanoTime() - t0) / 1e9;
                });
                double overhead = dac.seconds() / frozen.seconds() - 1;
                double adamW = median(Arrays.copyOfRange(optimizerSeconds, 1, iters + 1));
                out.printf(Locale.ROOT, "DAC step (pools, AGO, AdamW; LoRA dropout %.1f): %.3f s/step, overhead %+.1f%% over frozen, AdamW %.3f s of it, %s%n",
                        method.dropout(), dac.seconds(), overhead * 100, adamW, dac.transfers());
                out.flush();
                pools.detach(); // no merge: an fp16 backbone takes none, and a merged model is the plain model's cost
                dacs.add(new Dac(method, dac, overhead, adamW));
            }
            double imagesPerSecond = Double.NaN;
            if (mergedInference) {
                imagesPerSecond = batch / ModelBenchmark.secondsPerBatch(model, m, batch, iters);
                out.printf(Locale.ROOT, "merged model, image encoder: %.2f images/s at batch %d%n", imagesPerSecond, batch);
                out.flush();
            }
            return new Result(frozen, dacs, imagesPerSecond);
        }
    }

    /** A step's median time and its transfers per step (over the timed steps). */
    public record Measured(double seconds, HostTransfers.Count perStep) {
        public String transfers() {
            return String.format(Locale.ROOT, "%d transfers/step (%d to the device, %d to the host)",
                    perStep.transfers(), perStep.toDevice(), perStep.toHost());
        }
    }

    /** The median of the values (the upper one of an even count); sorts them. */
    private static double median(double[] values) {
        Arrays.sort(values);
        return values[values.length / 2];
    }

    private Measured median(Runnable step) {
        double[] s = new double[iters];
        HostTransfers.Count start = null;
        for (int i = -1; i < iters; i++) { // -1: warm-up
            if (i == 0) {
                start = HostTransfers.count();
            }
            try (NDScope scope = new NDScope()) {
                long t0 = System.nanoTime();
                step.run();
                if (i >= 0) {
                    s[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        HostTransfers.Count all = HostTransfers.count().minus(start);
        return new Measured(median(s), new HostTransfers.Count(all.toDevice() / iters, all.toHost() / iters,
                all.bytesToDevice() / iters, all.bytesToHost() / iters));
    }
}
