package dev.dacspark.spark.bench;

import dev.dacspark.spark.train.RingCollective;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Ring all-reduce on loopback: W ranks as threads of this JVM, buffers of 4 MB and 20 MB (20 MB is
 * ViT-B/16's 4,978,368 trainable floats). Bus bandwidth = 2 (W-1)/W * bytes / time, next to a plain
 * memory copy of the same buffer.
 */
public final class AllReduceBenchmark {
    private final PrintWriter out;

    public AllReduceBenchmark(PrintWriter out) {
        this.out = out;
    }

    public void run() throws Exception {
        for (int mb : new int[] {4, 20}) {
            int floats = mb * 1024 * 1024 / 4;
            float[] src = new float[floats];
            float[] dst = new float[floats];
            long t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                System.arraycopy(src, 0, dst, 0, floats);
            }
            double copy = (System.nanoTime() - t0) / 1e9 / 10;
            out.printf(Locale.ROOT, "%d MB: memory copy %.1f GB/s%n", mb, floats * 4.0 / copy / 1e9);
            for (int world : new int[] {2, 4}) {
                double seconds = timeRing(world, floats, 5);
                double bus = 2.0 * (world - 1) / world * floats * 4 / seconds;
                out.printf(Locale.ROOT, "%d MB, W=%d: all-reduce %.1f ms, bus bandwidth %.2f GB/s%n", mb, world, seconds * 1e3, bus / 1e9);
                out.flush();
            }
        }
    }

    /** Median seconds of one all-reduce of n floats on a W-rank ring (rank 0's timings). */
    static double timeRing(int world, int n, int iters) throws Exception {
        double[] t = RingCollective.onLoopback(world, 60_000, ring -> {
            float[] buf = new float[n];
            ring.sum(buf); // warm-up
            double[] seconds = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                ring.sum(buf);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            return seconds;
        }).get(0);
        java.util.Arrays.sort(t);
        return t[iters / 2];
    }
}
