package dev.dacspark.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Inference throughput of CLIP's image encoder with random weights: images/s per batch size
 * (median of the timed iterations after one warm-up), and the process's peak RSS.
 */
public final class ModelBenchmark {
    private final ClipConfig config;
    private final List<Integer> batches;
    private final int iters;
    private final PrintWriter out;

    public ModelBenchmark(ClipConfig config, List<Integer> batches, int iters, PrintWriter out) {
        if (iters < 1) {
            throw new IllegalArgumentException("--iters must be at least 1");
        }
        this.config = config;
        this.batches = batches;
        this.iters = iters;
        this.out = out;
    }

    public void run() {
        out.printf(Locale.ROOT, "model benchmark: %s, engine %s %s, %d threads%n", config,
                Engine.getInstance().getEngineName(), Engine.getInstance().getVersion(), Runtime.getRuntime().availableProcessors());
        try (NDManager manager = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(config);
            model.initialize(manager, 0);
            out.printf(Locale.ROOT, "parameters: %d%n", model.parameterCount());
            for (int batch : batches) {
                double median = secondsPerBatch(model, manager, batch, iters);
                out.printf(Locale.ROOT, "batch %d: %.3f s/iter (median of %d), %.2f images/s%n", batch, median, iters, batch / median);
                out.flush();
            }
        }
        out.printf(Locale.ROOT, "peak RSS: %.2f GB%n", peakRssBytes() / 1e9);
        out.flush();
    }

    /**
     * The image encoder's median time for a batch of {@code batch} random images on {@code manager}'s device, over
     * {@code iters} timed iterations after one warm-up (each ends with the features read, which waits for a GPU).
     */
    public static double secondsPerBatch(ClipModel model, NDManager manager, int batch, int iters) {
        ClipConfig config = model.config();
        double[] seconds = new double[iters];
        for (int i = -1; i < iters; i++) { // i = -1: warm-up
            try (NDScope scope = new NDScope()) {
                NDArray images = manager.randomNormal(new Shape(batch, 3, config.imageResolution(), config.imageResolution()));
                long t0 = System.nanoTime();
                HostTransfers.floats(model.encodeImage(images)); // forces the computation
                if (i >= 0) {
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        java.util.Arrays.sort(seconds);
        return seconds[iters / 2];
    }

    /** VmHWM of this process (Linux), or -1 when unknown. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
