package dev.dacspark.spark.train;

import dev.dacspark.train.Collective;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Collectives between W ranks over plain TCP, arranged in a ring: rank r sends to rank r+1 and
 * receives from rank r-1. Sums are bandwidth-optimal (reduce-scatter then all-gather: each rank
 * sends 2 (W-1)/W of the buffer); each chunk is reduced by one rank and then copied to all, so every
 * rank ends with the same bytes. Every read has a timeout: a dead or hung peer fails the operation
 * with a message naming it, instead of hanging the stage.
 *
 * <p>Set-up: each rank {@link #listen binds} a server socket, the ranks exchange their addresses
 * (Spark: {@code BarrierTaskContext.allGather}), then {@link #connect} links the ring.
 */
public final class RingCollective implements Collective, AutoCloseable {
    private final int rank;
    private final int world;
    private final List<String> addresses;
    private final int timeoutMillis;
    private final ServerSocket server;
    private Socket toNext;
    private Socket fromPrev;
    private DataOutputStream out;
    private DataInputStream in;
    private final ExecutorService sender;

    private RingCollective(int rank, List<String> addresses, ServerSocket server, int timeoutMillis) {
        this.rank = rank;
        this.world = addresses.size();
        this.addresses = List.copyOf(addresses);
        this.server = server;
        this.timeoutMillis = timeoutMillis;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ring-send-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds this rank's server socket on {@code host} (port chosen by the system); publish {@link #address}. */
    public static ServerSocket listen(String host) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 4);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ": " + e.getMessage(), e);
        }
    }

    /** "host:port" of a bound server socket. */
    public static String address(ServerSocket s) {
        return s.getInetAddress().getHostAddress() + ":" + s.getLocalPort();
    }

    /**
     * Links the ring: connects to rank+1 and accepts rank-1, each side checking the other's rank.
     * @param addresses every rank's "host:port", in rank order
     */
    public static RingCollective connect(int rank, List<String> addresses, ServerSocket server, int timeoutMillis) {
        RingCollective ring = new RingCollective(rank, addresses, server, timeoutMillis);
        if (ring.world > 1) {
            ring.link();
        }
        return ring;
    }

    private void link() {
        int next = (rank + 1) % world;
        int prev = (rank - 1 + world) % world;
        long deadline = System.currentTimeMillis() + timeoutMillis;
        try {
            String[] hp = addresses.get(next).split(":");
            while (true) {
                try {
                    toNext = new Socket();
                    toNext.setTcpNoDelay(true);
                    toNext.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), timeoutMillis);
                    break;
                } catch (IOException e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IOException("rank " + rank + ": cannot connect to rank " + next + " at " + addresses.get(next)
                                + " within " + timeoutMillis + " ms: " + e.getMessage(), e);
                    }
                    sleep(100);
                }
            }
            out = new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
            out.writeInt(rank);
            out.flush();
            server.setSoTimeout(timeoutMillis);
            try {
                fromPrev = server.accept();
            } catch (SocketTimeoutException e) {
                throw new IOException("rank " + rank + ": rank " + prev + " (" + addresses.get(prev) + ") did not connect within "
                        + timeoutMillis + " ms", e);
            }
            fromPrev.setSoTimeout(timeoutMillis);
            fromPrev.setTcpNoDelay(true);
            in = new DataInputStream(new BufferedInputStream(fromPrev.getInputStream(), 1 << 16));
            int peer = readInt(prev);
            if (peer != prev) {
                throw new IOException("rank " + rank + ": expected rank " + prev + " to connect, rank " + peer + " did");
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Runs {@code body} on W ranks linked on loopback, one thread each, in this JVM (benchmarks and
     * tests); returns each rank's result in rank order. A rank's failure is rethrown.
     */
    public static <T> List<T> onLoopback(int world, int timeoutMillis, java.util.function.Function<RingCollective, T> body)
            throws InterruptedException, ExecutionException {
        List<ServerSocket> servers = new java.util.ArrayList<>();
        List<String> addresses = new java.util.ArrayList<>();
        for (int r = 0; r < world; r++) {
            ServerSocket s = listen("127.0.0.1");
            servers.add(s);
            addresses.add(address(s));
        }
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<T>> futures = new java.util.ArrayList<>();
            for (int r = 0; r < world; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (RingCollective ring = connect(rank, addresses, servers.get(rank), timeoutMillis)) {
                        return body.apply(ring);
                    }
                }));
            }
            List<T> out = new java.util.ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return world;
    }

    /** Ring all-reduce (sum): reduce-scatter, then all-gather of the reduced chunks. */
    @Override
    public float[] sum(float[] local) {
        float[] buf = local.clone();
        if (world == 1) {
            return buf;
        }
        int n = buf.length;
        for (int s = 0; s < world - 1; s++) { // reduce-scatter: after W-1 steps rank r owns chunk r+1
            int send = Math.floorMod(rank - s, world);
            int recv = Math.floorMod(rank - s - 1, world);
            float[] incoming = exchange(buf, start(send, n), end(send, n), end(recv, n) - start(recv, n));
            for (int i = 0; i < incoming.length; i++) {
                buf[start(recv, n) + i] += incoming[i];
            }
        }
        for (int s = 0; s < world - 1; s++) { // all-gather of the owned chunks
            int send = Math.floorMod(rank + 1 - s, world);
            int recv = Math.floorMod(rank - s, world);
            float[] incoming = exchange(buf, start(send, n), end(send, n), end(recv, n) - start(recv, n));
            System.arraycopy(incoming, 0, buf, start(recv, n), incoming.length);
        }
        return buf;
    }

    private int start(int chunk, int n) {
        return (int) ((long) chunk * n / world);
    }

    private int end(int chunk, int n) {
        return (int) ((long) (chunk + 1) * n / world);
    }

    /** Sends buf[from, to) to the next rank while receiving count floats from the previous one. */
    private float[] exchange(float[] buf, int from, int to, int count) {
        Future<?> sending = sender.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate((to - from) * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(buf, from, to - from);
            out.writeInt(to - from);
            out.write(b.array());
            out.flush();
            return null;
        });
        float[] incoming;
        try {
            int len = readInt(prevRank());
            if (len != count) {
                throw new IOException("rank " + rank + ": rank " + prevRank() + " sent " + len + " values, expected " + count
                        + " (the ranks disagree on the buffer size)");
            }
            byte[] bytes = readBytes(len * 4);
            incoming = new float[len];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(incoming);
        } catch (IOException e) {
            sending.cancel(true);
            throw new UncheckedIOException(e.getMessage(), e);
        }
        await(sending);
        return incoming;
    }

    /** Ring all-gather of variable-size byte blocks: W-1 steps, each passing one block on. */
    @Override
    public byte[][] allGather(byte[] local) {
        byte[][] blocks = new byte[world][];
        blocks[rank] = local.clone();
        for (int s = 0; s < world - 1; s++) {
            byte[] send = blocks[Math.floorMod(rank - s, world)];
            int recv = Math.floorMod(rank - s - 1, world);
            Future<?> sending = sender.submit(() -> {
                out.writeInt(send.length);
                out.write(send);
                out.flush();
                return null;
            });
            try {
                blocks[recv] = readBytes(readInt(prevRank()));
            } catch (IOException e) {
                sending.cancel(true);
                throw new UncheckedIOException(e.getMessage(), e);
            }
            await(sending);
        }
        return blocks;
    }

    private int prevRank() {
        return (rank - 1 + world) % world;
    }

    private int readInt(int from) throws IOException {
        try {
            return in.readInt();
        } catch (SocketTimeoutException e) {
            throw timeout(from, e);
        } catch (IOException e) {
            throw new IOException("rank " + rank + ": lost the connection from rank " + from + " (" + addresses.get(from) + "): " + e, e);
        }
    }

    private byte[] readBytes(int len) throws IOException {
        if (len < 0) {
            throw new IOException("rank " + rank + ": corrupt message from rank " + prevRank() + " (length " + len + ")");
        }
        byte[] b = new byte[len];
        try {
            in.readFully(b);
        } catch (SocketTimeoutException e) {
            throw timeout(prevRank(), e);
        } catch (IOException e) {
            throw new IOException("rank " + rank + ": lost the connection from rank " + prevRank() + " (" + addresses.get(prevRank()) + "): " + e, e);
        }
        return b;
    }

    private IOException timeout(int from, SocketTimeoutException e) {
        return new IOException("rank " + rank + ": no data from rank " + from + " (" + addresses.get(from) + ") for "
                + timeoutMillis / 1000.0 + " s: that rank is dead or hung", e);
    }

    private void await(Future<?> sending) {
        try {
            sending.get(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new UncheckedIOException("rank " + rank + ": cannot send to rank " + (rank + 1) % world + " ("
                    + addresses.get((rank + 1) % world) + "): " + e.getCause(), new IOException(e.getCause()));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new UncheckedIOException(new IOException("rank " + rank + ": rank " + (rank + 1) % world
                    + " has not taken our data for " + timeoutMillis / 1000.0 + " s: that rank is dead or hung"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        sender.shutdownNow();
        for (AutoCloseable c : new AutoCloseable[] {toNext, fromPrev, server}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing is best effort; the ring is done either way
                }
            }
        }
    }
}
