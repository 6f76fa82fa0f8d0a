package dev.dacspark.spark.bench;

import dev.dacspark.spark.train.RingCollective;

import java.io.PrintWriter;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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

    /** Median seconds of one all-reduce of n floats on a W-rank ring. */
    static double timeRing(int world, int n, int iters) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ServerSocket s = RingCollective.listen("127.0.0.1");
            servers.add(s);
            addresses.add(RingCollective.address(s));
        }
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<double[]>> futures = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (RingCollective ring = RingCollective.connect(rank, addresses, servers.get(rank), 60_000)) {
                        float[] buf = new float[n];
                        ring.sum(buf); // warm-up
                        double[] t = new double[iters];
                        for (int i = 0; i < iters; i++) {
                            long t0 = System.nanoTime();
                            ring.sum(buf);
                            t[i] = (System.nanoTime() - t0) / 1e9;
                        }
                        return t;
                    }
                }));
            }
            double[] t = futures.get(0).get();
            for (Future<double[]> f : futures) {
                f.get();
            }
            java.util.Arrays.sort(t);
            return t[iters / 2];
        } finally {
            pool.shutdownNow();
        }
    }
}
