package dev.dacspark.spark.train;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * The TCP connections of one rank of W: for each distance d = 2^k < W, one connection to rank r + d
 * and one from rank r - d (mod W). Distance 1 is the ring; the others carry the rounds of a log-depth
 * all-gather. Each connection carries one direction only; all are non-blocking channels on one
 * selector, so a transfer sends and receives at once in the calling thread, straight from and into
 * the caller's buffers.
 *
 * <p>Every wait has a timeout: a peer that sends nothing (or takes nothing) for {@code timeoutMillis}
 * fails the transfer with a message naming it. Set-up checks each peer's rank, distance and ring id (a
 * hash of this attempt's addresses), so a connection left over from a failed attempt cannot join a retry:
 * it is closed and the accept goes on.
 */
final class PeerLinks implements AutoCloseable {
    private static final int MAGIC = 0xDAC5_0002;
    private static final int HELLO_BYTES = 20; // magic, ring id (8), rank, distance index

    /** What one transfer receives: a header of fixed size, then the payload the header announces. */
    interface Inbox {
        /** The header's bytes, to fill (fixed size, known to both sides). */
        ByteBuffer header();

        /** The buffer the payload is read into, once the header (flipped) is complete; refuses a header that disagrees. */
        ByteBuffer payload(ByteBuffer header) throws IOException;

        /** After each read into the payload: its position is how much has arrived. */
        default void arrived(ByteBuffer payload) {}
    }

    private final int rank;
    private final int world;
    private final List<String> addresses;
    private final int timeoutMillis;
    private final int distances; // ceil(log2 W): d = 1, 2, 4, ... < W
    private final SocketChannel[] ahead;
    private final SocketChannel[] behind;
    private final SelectionKey[] aheadKeys;
    private final SelectionKey[] behindKeys;
    private Selector selector;

    private PeerLinks(int rank, List<String> addresses, int timeoutMillis) {
        this.rank = rank;
        this.world = addresses.size();
        this.addresses = List.copyOf(addresses);
        this.timeoutMillis = timeoutMillis;
        this.distances = 32 - Integer.numberOfLeadingZeros(Math.max(world - 1, 0));
        this.ahead = new SocketChannel[distances];
        this.behind = new SocketChannel[distances];
        this.aheadKeys = new SelectionKey[distances];
        this.behindKeys = new SelectionKey[distances];
    }

    /**
     * Connects to ranks r + 2^k and accepts ranks r - 2^k on {@code server} (bound by {@link RingCollective#listen}),
     * within {@code timeoutMillis}; closes everything and throws naming the missing peer otherwise.
     */
    static PeerLinks link(int rank, List<String> addresses, ServerSocket server, int timeoutMillis) throws IOException {
        PeerLinks links = new PeerLinks(rank, addresses, timeoutMillis);
        try {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            for (int k = 0; k < links.distances; k++) {
                links.ahead[k] = links.connect(k, deadline);
            }
            links.acceptAll(server, deadline);
            links.selector = Selector.open();
            for (int k = 0; k < links.distances; k++) {
                links.ahead[k].configureBlocking(false);
                links.behind[k].configureBlocking(false);
                links.aheadKeys[k] = links.ahead[k].register(links.selector, 0);
                links.behindKeys[k] = links.behind[k].register(links.selector, 0);
            }
            return links;
        } catch (IOException | RuntimeException e) {
            links.close();
            throw e;
        }
    }

    /** Rounds of a log-depth all-gather: ceil(log2 W), the number of distances. */
    int distances() {
        return distances;
    }

    /** The rank 2^k ahead (we send to it). */
    int ahead(int k) {
        return Math.floorMod(rank + (1 << k), world);
    }

    /** The rank 2^k behind (we receive from it). */
    int behind(int k) {
        return Math.floorMod(rank - (1 << k), world);
    }

    private long ringId() {
        return String.join(",", addresses).hashCode() * 0x9E37_79B9_7F4A_7C15L + world;
    }

    private SocketChannel connect(int k, long deadline) throws IOException {
        int peer = ahead(k);
        String[] hp = addresses.get(peer).split(":");
        while (true) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.socket().connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), timeoutMillis);
                ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES).putInt(MAGIC).putLong(ringId()).putInt(rank).putInt(k).flip();
                while (hello.hasRemaining()) {
                    ch.write(hello);
                }
                return ch;
            } catch (IOException e) {
                ch.close();
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("rank " + rank + ": cannot connect to rank " + peer + " at " + addresses.get(peer)
                            + " within " + timeoutMillis + " ms: " + e.getMessage(), e);
                }
                sleep(100);
            }
        }
    }

    /** Accepts rank - 2^k for every k, in whatever order they come; closes connections of other rings (stale attempts). */
    private void acceptAll(ServerSocket server, long deadline) throws IOException {
        int linked = 0;
        while (linked < distances) {
            long left = deadline - System.currentTimeMillis();
            Socket s;
            try {
                server.setSoTimeout((int) Math.max(left, 1));
                s = server.accept();
            } catch (SocketTimeoutException e) {
                throw new IOException(missing() + " did not connect within " + timeoutMillis + " ms", e);
            }
            SocketChannel ch = s.getChannel();
            ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES);
            try {
                s.setSoTimeout((int) Math.max(deadline - System.currentTimeMillis(), 1));
                new DataInputStream(s.getInputStream()).readFully(hello.array());
            } catch (IOException e) { // a peer that connects and says nothing: not one of this ring's
                ch.close();
                continue;
            }
            if (hello.getInt() != MAGIC || hello.getLong() != ringId()) {
                ch.close(); // from another ring: a failed attempt's rank, still connecting
                continue;
            }
            int peer = hello.getInt();
            int k = hello.getInt();
            if (k < 0 || k >= distances || peer != behind(k) || behind[k] != null) {
                ch.close();
                throw new IOException("rank " + rank + ": rank " + peer + " connected at distance index " + k
                        + ", which this ring does not expect (" + missing() + " still missing)");
            }
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            behind[k] = ch;
            linked++;
        }
    }

    private String missing() {
        for (int k = 0; k < distances; k++) {
            if (behind[k] == null) {
                return "rank " + rank + ": rank " + behind(k) + " (" + addresses.get(behind(k)) + ")";
            }
        }
        return "rank " + rank + ": none";
    }

    /**
     * Sends {@code send} (all of it) to rank + 2^k while receiving {@code inbox}'s header and payload from
     * rank - 2^k. Fails naming the peer when one side makes no progress for the timeout.
     */
    void transfer(int k, ByteBuffer[] send, Inbox inbox) throws IOException {
        SocketChannel out = ahead[k];
        SocketChannel in = behind[k];
        ByteBuffer header = inbox.header();
        ByteBuffer payload = header.hasRemaining() ? null : inbox.payload(header.flip());
        long left = remaining(send);
        long lastProgress = System.nanoTime();
        try {
            while (true) {
                boolean progress = false;
                if (left > 0) {
                    long n = write(out, send, k);
                    left -= n;
                    progress = n > 0;
                }
                boolean receiving = payload == null || payload.hasRemaining();
                if (receiving) {
                    ByteBuffer into = payload == null ? header : payload;
                    int n = read(in, into, k);
                    if (n > 0) {
                        progress = true;
                        if (payload == null && !header.hasRemaining()) {
                            payload = inbox.payload(header.flip());
                        }
                        if (payload != null) {
                            inbox.arrived(payload);
                        }
                    }
                    receiving = payload == null || payload.hasRemaining();
                }
                if (left == 0 && !receiving) {
                    return;
                }
                long now = System.nanoTime();
                if (progress) {
                    lastProgress = now;
                    continue;
                }
                long waitMillis = timeoutMillis - (now - lastProgress) / 1_000_000;
                if (waitMillis <= 0) {
                    throw receiving
                            ? new IOException("rank " + rank + ": no data from rank " + behind(k) + " (" + addresses.get(behind(k)) + ") for "
                                    + timeoutMillis / 1000.0 + " s: that rank is dead or hung")
                            : new IOException("rank " + rank + ": rank " + ahead(k) + " (" + addresses.get(ahead(k)) + ") has not taken our data for "
                                    + timeoutMillis / 1000.0 + " s: that rank is dead or hung");
                }
                aheadKeys[k].interestOps(left > 0 ? SelectionKey.OP_WRITE : 0);
                behindKeys[k].interestOps(receiving ? SelectionKey.OP_READ : 0);
                selector.select(waitMillis);
                selector.selectedKeys().clear();
            }
        } finally {
            aheadKeys[k].interestOps(0);
            behindKeys[k].interestOps(0);
        }
    }

    private long write(SocketChannel out, ByteBuffer[] send, int k) throws IOException {
        try {
            return out.write(send);
        } catch (IOException e) {
            throw new IOException("rank " + rank + ": cannot send to rank " + ahead(k) + " (" + addresses.get(ahead(k)) + "): " + e, e);
        }
    }

    private int read(SocketChannel in, ByteBuffer into, int k) throws IOException {
        int n;
        try {
            n = in.read(into);
        } catch (IOException e) {
            throw new IOException("rank " + rank + ": lost the connection from rank " + behind(k) + " (" + addresses.get(behind(k)) + "): " + e, e);
        }
        if (n < 0) {
            throw new IOException("rank " + rank + ": lost the connection from rank " + behind(k) + " (" + addresses.get(behind(k))
                    + "): closed by the peer");
        }
        return n;
    }

    private static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        for (ByteBuffer b : buffers) {
            n += b.remaining();
        }
        return n;
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
        for (SocketChannel[] side : new SocketChannel[][] {ahead, behind}) {
            for (SocketChannel c : side) {
                closeQuietly(c);
            }
        }
        closeQuietly(selector);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing is best effort; the links are done either way
            }
        }
    }
}
