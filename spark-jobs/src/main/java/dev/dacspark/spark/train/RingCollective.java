package dev.dacspark.spark.train;

import dev.dacspark.train.Collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Collectives between W ranks over TCP ({@link PeerLinks}: rank r sends to r + 2^k and receives from
 * r - 2^k). Two algorithms, each where it is optimal:
 * <ul>
 *   <li>{@link #sumInPlace} (the gradients, megabytes): the ring, bandwidth-optimal. Reduce-scatter then
 *       all-gather over distance 1, each rank sending 2 (W-1)/W of the buffer; each chunk is reduced by one
 *       rank, then copied to all, so every rank ends with the same bytes. No copy in user space: chunks go
 *       from the caller's direct buffer to the socket and back, and are summed while they arrive.</li>
 *   <li>{@link #allGather} and {@link #sum} (votes, labels, embeddings, checksums: bytes to kilobytes):
 *       Bruck's all-gather, latency-optimal: ceil(log2 W) rounds for any W, round k passing the 2^k blocks a
 *       rank holds to rank r + 2^k. {@link #sum} adds the gathered arrays in rank order on every rank.</li>
 * </ul>
 * Every wait has a timeout: a dead or hung peer fails the operation naming it, instead of hanging the stage.
 *
 * <p>Set-up: each rank {@link #listen binds} a server socket, the ranks exchange their addresses
 * (Spark: {@code BarrierTaskContext.allGather}), then {@link #connect} links them.
 */
public final class RingCollective implements Collective, AutoCloseable {
    private final int rank;
    private final int world;
    private final PeerLinks links;
    private ByteBuffer scratch = ByteBuffer.allocateDirect(0); // one incoming chunk of the reduce-scatter

    private RingCollective(int rank, int world, PeerLinks links) {
        this.rank = rank;
        this.world = world;
        this.links = links;
    }

    /** Binds this rank's server socket on {@code host} (port chosen by the system); publish {@link #address}. */
    public static ServerSocket listen(String host) {
        try {
            ServerSocket s = ServerSocketChannel.open().socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 64);
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
     * Links the ranks: connects to rank + 2^k and accepts rank - 2^k, each side checking the other's rank.
     * @param addresses every rank's "host:port", in rank order
     * @param server    this rank's socket from {@link #listen}; closed with the collective
     */
    public static RingCollective connect(int rank, List<String> addresses, ServerSocket server, int timeoutMillis) {
        try {
            PeerLinks links = addresses.size() > 1 ? PeerLinks.link(rank, addresses, server, timeoutMillis) : null;
            return new RingCollective(rank, addresses.size(), links);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        } finally {
            try {
                server.close(); // every peer is linked (or the set-up failed): nothing more to accept
            } catch (IOException ignored) {
                // closing is best effort
            }
        }
    }

    /**
     * Runs {@code body} on W ranks linked on loopback, one thread each, in this JVM (benchmarks and
     * tests); returns each rank's result in rank order. A rank's failure is rethrown.
     */
    public static <T> List<T> onLoopback(int world, int timeoutMillis, Function<RingCollective, T> body)
            throws InterruptedException, ExecutionException {
        List<ServerSocket> servers = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ServerSocket s = listen("127.0.0.1");
            servers.add(s);
            addresses.add(address(s));
        }
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (RingCollective ring = connect(rank, addresses, servers.get(rank), timeoutMillis)) {
                        return body.apply(ring);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
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

    /** Rounds of {@link #allGather} and {@link #sum}: ceil(log2 W). */
    public int smallRounds() {
        return world == 1 ? 0 : links.distances();
    }

    /**
     * Ring all-reduce (sum) of the floats of {@code floats} (position 0 to limit, native byte order), in place:
     * reduce-scatter, then all-gather of the reduced chunks.
     */
    @Override
    public void sumInPlace(ByteBuffer floats) {
        if (world == 1) {
            return;
        }
        ByteBuffer buf = floats.duplicate().order(ByteOrder.nativeOrder()).clear().limit(floats.limit());
        int n = buf.limit() / 4;
        FloatBuffer ours = buf.asFloatBuffer();
        if (scratch.capacity() < 4 * (n / world + 1)) {
            scratch = ByteBuffer.allocateDirect(4 * (n / world + 1)).order(ByteOrder.nativeOrder());
        }
        try {
            for (int s = 0; s < world - 1; s++) { // reduce-scatter: after W-1 steps rank r owns chunk r+1
                int send = Math.floorMod(rank - s, world);
                int recv = Math.floorMod(rank - s - 1, world);
                int at = start(recv, n);
                links.transfer(0, chunk(buf, send, n), new ChunkInbox(end(recv, n) - at) {
                    final FloatBuffer theirs = scratch.duplicate().clear().order(ByteOrder.nativeOrder()).asFloatBuffer();

                    @Override
                    public ByteBuffer payload(ByteBuffer header) throws IOException {
                        return checked(header, scratch.clear().limit(4 * count));
                    }

                    @Override
                    public void arrived(ByteBuffer payload) {
                        for (int end = payload.position() / 4; done < end; done++) {
                            ours.put(at + done, ours.get(at + done) + theirs.get(done));
                        }
                    }
                });
            }
            for (int s = 0; s < world - 1; s++) { // all-gather of the owned chunks, straight into place
                int send = Math.floorMod(rank + 1 - s, world);
                int recv = Math.floorMod(rank - s, world);
                links.transfer(0, chunk(buf, send, n), new ChunkInbox(end(recv, n) - start(recv, n)) {
                    @Override
                    public ByteBuffer payload(ByteBuffer header) throws IOException {
                        return checked(header, buf.duplicate().limit(4 * end(recv, n)).position(4 * start(recv, n)));
                    }
                });
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The message of chunk c: its length in floats, then its bytes (a view of buf). */
    private ByteBuffer[] chunk(ByteBuffer buf, int c, int n) {
        ByteBuffer header = ByteBuffer.allocate(4).putInt(end(c, n) - start(c, n)).flip();
        return new ByteBuffer[] {header, buf.duplicate().limit(4 * end(c, n)).position(4 * start(c, n))};
    }

    /** A chunk of the ring: a header with its length in floats, which must be the length this rank expects. */
    private abstract class ChunkInbox implements PeerLinks.Inbox {
        final int count;
        int done; // floats of the payload summed so far

        ChunkInbox(int count) {
            this.count = count;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(4);
        }

        ByteBuffer checked(ByteBuffer header, ByteBuffer payload) throws IOException {
            int len = header.getInt();
            if (len != count) {
                throw new IOException("rank " + rank + ": rank " + links.behind(0) + " sent " + len + " values, expected " + count
                        + " (the ranks disagree on the buffer size)");
            }
            return payload;
        }
    }

    private int start(int chunk, int n) {
        return (int) ((long) chunk * n / world);
    }

    private int end(int chunk, int n) {
        return (int) ((long) (chunk + 1) * n / world);
    }

    /**
     * The element-wise sum of every rank's {@code local} (same length on every rank), added in rank order
     * after an {@link #allGather}: ceil(log2 W) rounds; every rank computes the same bytes.
     */
    @Override
    public float[] sum(float[] local) {
        if (world == 1) {
            return local.clone();
        }
        ByteBuffer mine = ByteBuffer.allocate(4 * local.length).order(ByteOrder.LITTLE_ENDIAN);
        mine.asFloatBuffer().put(local);
        byte[][] all = allGather(mine.array());
        float[] sum = new float[local.length];
        for (int r = 0; r < world; r++) {
            if (all[r].length != mine.capacity()) {
                throw new IllegalStateException("rank " + rank + ": rank " + r + " summed " + all[r].length / 4 + " values, this rank "
                        + local.length + " (the ranks disagree on the size)");
            }
            ByteBuffer theirs = ByteBuffer.wrap(all[r]).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += theirs.getFloat(4 * i);
            }
        }
        return sum;
    }

    /**
     * Bruck's all-gather of variable-size blocks: in round k a rank holding blocks r, r-1, ..., r-h+1 (h = 2^k)
     * sends min(h, W-h) of them to rank r + h and receives as many from rank r - h, with their lengths first.
     */
    @Override
    public byte[][] allGather(byte[] local) {
        byte[][] blocks = new byte[world][];
        blocks[rank] = local.clone();
        try {
            for (int k = 0; k < smallRounds(); k++) {
                int held = 1 << k;
                int count = Math.min(held, world - held);
                ByteBuffer header = ByteBuffer.allocate(4 * count);
                ByteBuffer[] send = new ByteBuffer[count + 1];
                send[0] = header;
                for (int j = 0; j < count; j++) {
                    byte[] b = blocks[Math.floorMod(rank - j, world)];
                    header.putInt(b.length);
                    send[j + 1] = ByteBuffer.wrap(b);
                }
                header.flip();
                BlocksInbox inbox = new BlocksInbox(count, links.behind(k));
                links.transfer(k, send, inbox);
                inbox.into(blocks);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        return blocks;
    }

    /** Blocks r-h, r-h-1, ... of a round of {@link #allGather}: their lengths, then their bytes. */
    private final class BlocksInbox implements PeerLinks.Inbox {
        private final int count;
        private final int from;
        private final ByteBuffer lengths;
        private ByteBuffer payload;

        BlocksInbox(int count, int from) {
            this.count = count;
            this.from = from;
            this.lengths = ByteBuffer.allocate(4 * count);
        }

        @Override
        public ByteBuffer header() {
            return lengths;
        }

        @Override
        public ByteBuffer payload(ByteBuffer header) throws IOException {
            long total = 0;
            for (int j = 0; j < count; j++) {
                int len = header.getInt(4 * j);
                if (len < 0) {
                    throw new IOException("rank " + rank + ": corrupt message from rank " + from + " (length " + len + ")");
                }
                total += len;
            }
            payload = ByteBuffer.allocate(Math.toIntExact(total));
            return payload;
        }

        /** Stores the received blocks at their ranks. */
        void into(byte[][] blocks) {
            payload.flip();
            for (int j = 0; j < count; j++) {
                byte[] b = new byte[lengths.getInt(4 * j)];
                payload.get(b);
                blocks[Math.floorMod(from - j, world)] = b;
            }
        }
    }

    @Override
    public void close() {
        if (links != null) {
            links.close();
        }
    }
}
