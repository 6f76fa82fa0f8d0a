package dev.dacspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;
import dev.dacspark.golden.GoldenParity;
import dev.dacspark.golden.GoldenSet;
import dev.dacspark.lora.DacConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench gpu}: what a CUDA machine must show, in one markdown table: the engine it loaded, the golden parity
 * tests on the device (the golden CLIP's outputs from both namings and one golden DAC step, {@link GoldenParity}),
 * a DAC training step against the frozen forward+backward floor at each precision of {@code dac.model.precision}
 * (with its device-host transfers per step), the merged model's inference throughput, the peak GPU memory (the
 * device's used memory, sampled every 20 ms) and the peak RSS. The same command runs on the CPU with small sizes.
 */
public final class GpuCheck {
    /** One row of the table; {@code passed} false makes the check fail. */
    public record Row(String check, String result, boolean passed) {}

    private final Device device;
    private final GoldenSet golden;
    private final ClipConfig model;
    private final String modelName;
    private final int batch;
    private final int iters;
    private final List<Precision> precisions;
    private final PrintWriter out;

    public GpuCheck(Device device, GoldenSet golden, ClipConfig model, String modelName, int batch, int iters, List<Precision> precisions,
            PrintWriter out) {
        this.device = device;
        this.golden = golden;
        this.model = model;
        this.modelName = modelName;
        this.batch = batch;
        this.iters = iters;
        this.precisions = precisions;
        this.out = out;
    }

    /** A device name: cpu, cuda:N, gpu:N or gpuN. */
    public static Device device(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        java.util.regex.Matcher gpu = java.util.regex.Pattern.compile("(?:cuda|gpu):?(\\d+)").matcher(n);
        if (!gpu.matches()) {
            throw new IllegalArgumentException("--device '" + name + "': expected cpu or cuda:N (e.g. cuda:0)");
        }
        int ordinal = Integer.parseInt(gpu.group(1));
        int gpus = Engine.getInstance().getGpuCount();
        if (ordinal >= gpus) {
            throw new IllegalStateException("--device " + name + ": libtorch (" + LibUtils.getLibtorchPath() + ", "
                    + (Engine.getInstance().hasCapability(StandardCapabilities.CUDA) ? "a CUDA build" : "a CPU build") + ") sees "
                    + gpus + " GPU(s); give a CUDA libtorch 2.7.1 with PYTORCH_LIBRARY_PATH and PYTORCH_FLAVOR=cu128 "
                    + "(deploy/gpu/check.sh finds one), or --device cpu");
        }
        return Device.gpu(ordinal);
    }

    /** Runs every check, prints the table (and each figure as it comes), writes the table to {@code table}; the rows. */
    public List<Row> run(Path table) {
        long t0 = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        Engine engine = Engine.getInstance();
        boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
        rows.add(new Row("engine", String.format(Locale.ROOT, "%s %s, libtorch %s (%s), device %s, CUDA %s, %d intra-op / %d inter-op threads",
                engine.getEngineName(), engine.getVersion(), LibUtils.getLibtorchPath(), cuda ? "CUDA build" : "CPU build", device,
                cuda ? CudaUtils.getCudaVersionString() : "none", JniUtils.getNumThreads(), JniUtils.getNumInteropThreads()), true));
        try (PeakGpuMemory memory = new PeakGpuMemory(device)) {
            try (NDManager m = NDManager.newBaseManager(device)) {
                rows.add(parity("golden CLIP forward, openai naming", GoldenParity.clipForward(golden, "openai", m)));
                rows.add(parity("golden CLIP forward, hf naming", GoldenParity.clipForward(golden, "hf", m)));
                rows.add(parity("golden DAC step (logits, losses, counts, A/B gradients, merge)", GoldenParity.dacStep(golden, m)));
            }
            for (Precision precision : precisions) {
                String at = String.format(Locale.ROOT, "%s, batch %d, %s", modelName, batch, Section.id(precision));
                DacConfig method = DacConfig.defaults();
                TrainStepBenchmark.Result r = new TrainStepBenchmark(model, device, precision, batch, iters, out).measure(List.of(method), true);
                TrainStepBenchmark.Dac dac = r.dac().get(0);
                rows.add(new Row("frozen forward+backward, " + at, String.format(Locale.ROOT, "%.3f s/step, %s", r.frozen().seconds(),
                        r.frozen().transfers()), true));
                rows.add(new Row(String.format(Locale.ROOT, "DAC step (LoRA dropout %.1f), %s", method.dropout(), at),
                        String.format(Locale.ROOT, "%.3f s/step (%.2f it/s), %+.1f %% over the floor, AdamW %.3f s of it, %s", dac.step().seconds(),
                                1 / dac.step().seconds(), dac.overhead() * 100, dac.optimizerSeconds(), dac.step().transfers()), true));
                rows.add(new Row("merged model (plain CLIP), image encoder, " + at, String.format(Locale.ROOT, "%.1f images/s", r.mergedImagesPerSecond()), true));
            }
            rows.add(new Row("peak GPU memory", memory.describe(), true));
        }
        rows.add(new Row("peak RSS", String.format(Locale.ROOT, "%.2f GB", ModelBenchmark.peakRssBytes() / 1e9), true));
        rows.add(new Row("time", String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - t0) / 1e9), true));
        String markdown = markdown(rows);
        out.print(markdown);
        out.flush();
        try {
            if (table.getParent() != null) {
                Files.createDirectories(table.getParent());
            }
            Files.writeString(table, markdown);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the table to " + table, e);
        }
        return rows;
    }

    private static Row parity(String what, List<GoldenParity.Check> checks) {
        String failed = GoldenParity.failures(checks);
        return failed.isEmpty()
                ? new Row(what, "pass: " + checks.size() + " comparisons; largest error for its atol: " + GoldenParity.worst(checks).describe(), true)
                : new Row(what, "FAIL: " + failed.replace("\n", "; "), false);
    }

    /** The rows as a markdown table: check, result, ok. */
    static String markdown(List<Row> rows) {
        StringBuilder b = new StringBuilder("| check | result | ok |\n|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.check()).append(" | ").append(r.result().replace("|", "\\|")).append(" | ")
                    .append(r.passed() ? "yes" : "NO").append(" |\n");
        }
        return b.toString();
    }

    /** The most memory the device had in use while it was open, sampled every 20 ms (a GPU's only). */
    static final class PeakGpuMemory implements AutoCloseable {
        private final Device device;
        private final AtomicLong peak = new AtomicLong(-1);
        private final Thread sampler;
        private volatile String error;

        PeakGpuMemory(Device device) {
            this.device = device;
            this.sampler = new Thread(this::sample, "gpu-memory-sampler");
            sampler.setDaemon(true);
            if (device.isGpu()) {
                sampler.start();
            }
        }

        private void sample() {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    peak.accumulateAndGet(CudaUtils.getGpuMemory(device).getUsed(), Math::max);
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    error = e.toString();
                    return;
                }
            }
        }

        String describe() {
            if (!device.isGpu()) {
                return "n/a (device " + device + ")";
            }
            if (error != null) {
                return "unavailable: " + error;
            }
            return String.format(Locale.ROOT, "%.2f GB in use on %s (the whole device: libtorch's caching allocator included)", peak.get() / 1e9, device);
        }

        @Override
        public void close() {
            sampler.interrupt();
            try {
                sampler.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
