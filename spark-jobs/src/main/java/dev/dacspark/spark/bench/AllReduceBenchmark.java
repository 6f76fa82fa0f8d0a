package dev.dacspark.spark.bench;

import dev.dacspark.spark.train.RingCollective;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The collectives on loopback, W ranks as threads of this JVM, next to this machine's ceilings in the same run:
 * a memory copy, one plain TCP stream between two threads, and two such streams at once. The ring ({@code sumInPlace}) at 4 MB and 20 MB
 * (20 MB is ViT-B/16's 4,978,368 trainable floats) for W = 2 and 4, as bus bandwidth = 2 (W-1)/W * bytes / time;
 * the small all-reduce ({@code sum}) of 12 floats (one module's votes) for W = 2, 4 and 8, as time per call and
 * its sequential rounds. Every figure is the best of several timings (this machine is shared: the best is the
 * one least disturbed by other processes), the same rule for the ceilings and for ours.
 */
public final class AllReduceBenchmark {
    private final PrintWriter out;

    public AllReduceBenchmark(PrintWriter out) {
        this.out = out;
    }

    public void run() throws Exception {
        int mb20 = 20 * 1024 * 1024;
        out.printf(Locale.ROOT, "ceilings: memory copy (direct buffers, 20 MB) %.1f GB/s; one TCP stream on loopback (20 MB messages) %.2f GB/s; "
                + "two streams at once (what a rank of the W=2 ring sends and receives) %.2f GB/s each%n", memoryCopy(mb20) / 1e9,
                tcpStreams(1, mb20, 20) / 1e9, tcpStreams(2, mb20, 20) / 1e9);
        out.flush();
        for (int mb : new int[] {4, 20}) {
            int floats = mb * 1024 * 1024 / 4;
            for (int world : new int[] {2, 4}) {
                double seconds = timeRing(world, floats, 9);
                double bus = 2.0 * (world - 1) / world * floats * 4 / seconds;
                out.printf(Locale.ROOT, "ring all-reduce %d MB, W=%d: %.1f ms, bus bandwidth %.2f GB/s%n", mb, world, seconds * 1e3, bus / 1e9);
                out.flush();
            }
        }
        for (int world : new int[] {2, 4, 8}) {
            double[] t = RingCollective.onLoopback(world, 60_000, ring -> {
                float[] votes = new float[12];
                for (int i = 0; i < 200; i++) { // warm-up
                    ring.sum(votes);
                }
                double best = Double.MAX_VALUE;
                for (int batch = 0; batch < 10; batch++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 200; i++) {
                        ring.sum(votes);
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9 / 200);
                }
                return new double[] {best, ring.smallRounds()};
            }).get(0);
            out.printf(Locale.ROOT, "small all-reduce, 12 floats, W=%d: %.1f us per call, %d sequential rounds (ring: %d hops)%n", world,
                    t[0] * 1e6, (int) t[1], 2 * (world - 1));
            out.flush();
        }
    }

    /** Bytes per second of a copy between two direct buffers of {@code bytes}. */
    static double memoryCopy(int bytes) {
        ByteBuffer src = ByteBuffer.allocateDirect(bytes);
        ByteBuffer dst = ByteBuffer.allocateDirect(bytes);
        double[] t = new double[10];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            dst.clear().put(src.clear());
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        return bytes / Arrays.stream(t).min().getAsDouble();
    }

    /**
     * Bytes per second of {@code streams} TCP streams at once on loopback (one thread writing and one reading each),
     * for the slowest stream: the best of {@code times} messages of {@code bytes} for each, the slowest of those.
     */
    static double tcpStreams(int streams, int bytes, int times) throws Exception {
        List<ServerSocketChannel> servers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * streams);
        try {
            List<Future<Double>> readers = new ArrayList<>();
            for (int k = 0; k < streams; k++) {
                ServerSocketChannel server = ServerSocketChannel.open();
                servers.add(server);
                server.bind(new InetSocketAddress("127.0.0.1", 0));
                SocketAddress at = server.getLocalAddress();
                pool.submit(() -> {
                    try (SocketChannel ch = SocketChannel.open(at)) {
                        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
                        for (int i = 0; i < times + 1; i++) {
                            b.clear();
                            while (b.hasRemaining()) {
                                ch.write(b);
                            }
                        }
                    }
                    return null;
                });
                readers.add(pool.submit(() -> {
                    try (SocketChannel ch = server.accept()) {
                        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
                        double best = Double.MAX_VALUE;
                        long t0 = 0;
                        for (int i = 0; i < times + 1; i++) { // the first message is the warm-up
                            b.clear();
                            while (b.hasRemaining()) {
                                if (ch.read(b) < 0) {
                                    throw new IOException("the writer closed early");
                                }
                            }
                            long t1 = System.nanoTime();
                            if (i > 0) {
                                best = Math.min(best, (t1 - t0) / 1e9);
                            }
                            t0 = t1;
                        }
                        return bytes / best;
                    }
                }));
            }
            double slowest = Double.MAX_VALUE;
            for (Future<Double> r : readers) {
                slowest = Math.min(slowest, r.get());
            }
            return slowest;
        } finally {
            pool.shutdownNow();
            for (ServerSocketChannel s : servers) {
                s.close();
            }
        }
    }

    /** Best seconds of one ring all-reduce of n floats on W ranks (rank 0's timings), of {@code iters}. */
    static double timeRing(int world, int n, int iters) throws Exception {
        double[] t = RingCollective.onLoopback(world, 60_000, ring -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 3; i++) { // warm-up
                ring.sumInPlace(buf);
            }
            double[] seconds = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                ring.sumInPlace(buf);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            return seconds;
        }).get(0);
        return Arrays.stream(t).min().getAsDouble();
    }
}
