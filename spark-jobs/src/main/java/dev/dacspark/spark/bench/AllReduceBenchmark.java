package dev.dacspark.spark.bench;

import dev.dacspark.spark.train.RingCollective;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The collectives on loopback, W ranks as threads of this JVM, next to this machine's ceilings in the same run:
 * a memory copy and one plain TCP stream between two threads. The ring ({@code sumInPlace}) at 4 MB and 20 MB
 * (20 MB is ViT-B/16's 4,978,368 trainable floats) for W = 2 and 4, as bus bandwidth = 2 (W-1)/W * bytes / time;
 * the small all-reduce ({@code sum}) of 12 floats (one module's votes) for W = 2, 4 and 8, as time per call and
 * its sequential rounds.
 */
public final class AllReduceBenchmark {
    private final PrintWriter out;

    public AllReduceBenchmark(PrintWriter out) {
        this.out = out;
    }

    public void run() throws Exception {
        int mb20 = 20 * 1024 * 1024;
        out.printf(Locale.ROOT, "ceilings: memory copy (direct buffer, 20 MB) %.1f GB/s; one TCP stream on loopback (20 MB messages) %.2f GB/s%n",
                memoryCopy(mb20) / 1e9, tcpStream(mb20, 10) / 1e9);
        out.flush();
        for (int mb : new int[] {4, 20}) {
            int floats = mb * 1024 * 1024 / 4;
            for (int world : new int[] {2, 4}) {
                double seconds = timeRing(world, floats, 5);
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
                int calls = 2000;
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    ring.sum(votes);
                }
                return new double[] {(System.nanoTime() - t0) / 1e9 / calls, ring.smallRounds()};
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
        Arrays.sort(t);
        return bytes / t[t.length / 2];
    }

    /** Bytes per second of one TCP stream on loopback: one thread writes {@code times} x {@code bytes}, another reads them. */
    static double tcpStream(int bytes, int times) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (SocketChannel ch = SocketChannel.open(server.getLocalAddress())) {
                    ByteBuffer b = ByteBuffer.allocateDirect(bytes);
                    for (int i = 0; i < times + 1; i++) {
                        b.clear();
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (SocketChannel ch = server.accept()) {
                ByteBuffer b = ByteBuffer.allocateDirect(bytes);
                long t0 = 0;
                for (int i = 0; i < times + 1; i++) { // the first message is the warm-up
                    b.clear();
                    while (b.hasRemaining()) {
                        if (ch.read(b) < 0) {
                            throw new IOException("the writer closed early");
                        }
                    }
                    if (i == 0) {
                        t0 = System.nanoTime();
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                writer.join();
                return (double) bytes * times / seconds;
            }
        }
    }

    /** Median seconds of one ring all-reduce of n floats on W ranks (rank 0's timings). */
    static double timeRing(int world, int n, int iters) throws Exception {
        double[] t = RingCollective.onLoopback(world, 60_000, ring -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
            ring.sumInPlace(buf); // warm-up
            double[] seconds = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                ring.sumInPlace(buf);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            return seconds;
        }).get(0);
        Arrays.sort(t);
        return t[iters / 2];
    }
}
