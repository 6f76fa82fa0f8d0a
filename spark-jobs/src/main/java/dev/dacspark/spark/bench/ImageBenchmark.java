package dev.dacspark.spark.bench;

import com.typesafe.config.ConfigFactory;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.RgbImage;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import org.apache.spark.sql.SparkSession;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * Decode + resize + centre crop to 224 of generated 500x375 JPEGs: a plain single-threaded ImageIO
 * baseline (ImageIO.read, Java2D bicubic scaling), our PIL-exact path single-threaded, and the prep
 * job on a local Spark master: images/s in all and per core, the ratio to cores x our single-thread
 * figure, the busy cores over the job (this JVM's CPU time / wall time; the local master's executors
 * run in it) and the same per phase of the job. Figures only, nothing asserted.
 */
public final class ImageBenchmark {
    private final int count;
    private final PrintWriter out;

    public ImageBenchmark(int count, PrintWriter out) {
        this.count = count;
        this.out = out;
    }

    public void run(SparkSession spark) throws InterruptedException, ExecutionException {
        Path dir;
        try {
            dir = Files.createTempDirectory("dac-image-bench");
            generate(dir.resolve("images/things"), count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path[] files = listJpegs(dir.resolve("images/things"));
            out.printf(Locale.ROOT, "image benchmark: %d generated 500x375 JPEGs, decode + resize + centre crop to 224%n", files.length);
            double baseline = time(() -> {
                for (Path f : files) {
                    imageIoBaseline(f);
                }
            });
            out.printf(Locale.ROOT, "ImageIO + Java2D bicubic, 1 thread: %.1f images/s%n", files.length / baseline);
            ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.clip(224));
            double ours = time(() -> {
                for (Path f : files) {
                    processor.evalImage(RgbImage.read(f)).encodePng();
                }
            });
            out.printf(Locale.ROOT, "ours (PIL-exact bicubic, centre crop to 224, PNG encode), 1 thread: %.1f images/s%n", files.length / ours);
            out.flush();
            int cores = spark.sparkContext().defaultParallelism();
            PrepConfig prep = PrepConfig.from(ConfigFactory.parseString(String.format(Locale.ROOT, """
                    dac.prep { output = "%s", resolution = 224, progress-interval = 60,
                      tasks = [ { name = bench, source { type = image-folder, root = "%s" }, templates = ["{}"], split { random = 0.01 } } ] }
                    """, dir.resolve("prep").toUri(), dir.resolve("images").toUri())), null);
            PrepJob job = new PrepJob(spark, prep);
            double before = files.length / job.decodeOnThreads(1);
            double cpu0 = processCpuSeconds();
            double seconds = time(job::run);
            double cpu = processCpuSeconds() - cpu0;
            double rate = files.length / seconds;
            // the baseline before and after the job: this machine's speed drifts by a third from minute to minute
            double after = files.length / job.decodeOnThreads(1);
            double single = (before + after) / 2;
            double threads = files.length / job.decodeOnThreads(cores);
            out.printf(Locale.ROOT, "the job's own per-record work (read, decode, the split's transform, PNG, hash), 1 thread, no Spark: "
                    + "%.1f images/s (%.1f before the job, %.1f after)%n", single, before, after);
            out.printf(Locale.ROOT, "the same on %d plain threads, no Spark (what this machine gives parallel work now): %.1f images/s, "
                    + "%.2f x one thread%n", cores, threads, threads / single);
            out.printf(Locale.ROOT, "prep job on %d cores (whole job, listing and writing included): %.1f s, %.1f images/s, %.1f per core%n",
                    cores, seconds, rate, rate / cores);
            out.printf(Locale.ROOT, "job / (cores x single-thread): %.0f %% (%.1f / (%d x %.1f)); job / plain threads: %.0f %%%n",
                    100 * rate / (cores * single), rate, cores, single, 100 * rate / threads);
            out.printf(Locale.ROOT, "busy cores over the job (process CPU / wall): %.2f%n", cpu / seconds);
            out.printf(Locale.ROOT, "%-22s %8s %8s %6s%n", "phase", "wall s", "cpu s", "cores");
            for (PrepJob.Phase p : job.phases()) {
                out.printf(Locale.ROOT, "%-22s %8.2f %8.2f %6.2f%n", p.name(), p.wallSeconds(), p.cpuSeconds(),
                        p.cpuSeconds() / Math.max(p.wallSeconds(), 1e-9));
            }
            double inPhases = job.phases().stream().mapToDouble(PrepJob.Phase::wallSeconds).sum();
            out.printf(Locale.ROOT, "%-22s %8.2f%n", "outside the phases", seconds - inPhases);
            out.flush();
        } finally {
            delete(dir);
        }
    }

    private static void imageIoBaseline(Path f) {
        try {
            BufferedImage img = ImageIO.read(f.toFile());
            double scale = 224.0 / Math.min(img.getWidth(), img.getHeight());
            int w = (int) Math.round(img.getWidth() * scale);
            int h = (int) Math.round(img.getHeight() * scale);
            BufferedImage out = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(img, (224 - w) / 2, (224 - h) / 2, w, h, null);
            g.dispose();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void generate(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            for (int k = 0; k < 40; k++) {
                g.setColor(new Color(rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)));
                g.fillOval(rng.nextInt(500), rng.nextInt(375), 20 + rng.nextInt(120), 20 + rng.nextInt(120));
            }
            g.dispose();
            ImageIO.write(img, "jpg", dir.resolve(String.format("%05d.jpg", i)).toFile());
        }
    }

    private static Path[] listJpegs(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toArray(Path[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This JVM's CPU seconds (the local master's executors run in it). */
    private static double processCpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
