package dev.dacspark.spark.train;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The collectives with W = 1..8 ranks as threads of one JVM on loopback. */
class RingCollectiveTest {

    /** W ranks on loopback; the whole run is bounded so that a bug cannot hang the suite. */
    static <T> List<T> onRing(int world, int timeoutMillis, Function<RingCollective, T> body) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> RingCollective.onLoopback(world, timeoutMillis, body));
    }

    /** Rank r's value at i: integers, so that every order of summation gives the exact sum. */
    private static float value(int rank, int i) {
        return (i % 97) + 1000f * rank - 3;
    }

    private static ByteBuffer direct(float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return b;
    }

    private static float[] floats(ByteBuffer b) {
        float[] out = new float[b.limit() / 4];
        b.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
        return out;
    }

    /** The ring (sumInPlace) and the small all-reduce (sum): sizes 0, below W, not divisible by W, large; W = 1..8. */
    @Test
    void sumsAreExactAndIdenticalOnEveryRank() throws Exception {
        for (int world = 1; world <= 8; world++) {
            int w = world;
            int[] sizes = {0, 1, 3, 7, 1001, 100_003};
            List<float[][]> results = onRing(world, 10_000, ring -> {
                float[][] out = new float[2 * sizes.length][];
                for (int s = 0; s < sizes.length; s++) {
                    float[] mine = new float[sizes[s]];
                    for (int i = 0; i < mine.length; i++) {
                        mine[i] = value(ring.rank(), i);
                    }
                    ByteBuffer buf = direct(mine);
                    ring.sumInPlace(buf);
                    out[2 * s] = floats(buf);
                    out[2 * s + 1] = ring.sum(mine);
                    assertArrayEquals(out[2 * s], out[2 * s + 1], "ring and small all-reduce agree, W=" + w + " n=" + sizes[s]);
                }
                return out;
            });
            for (int s = 0; s < sizes.length; s++) {
                for (int i = 0; i < sizes[s]; i++) {
                    float expected = 0;
                    for (int r = 0; r < w; r++) {
                        expected += value(r, i);
                    }
                    assertEquals(expected, results.get(0)[2 * s][i], 0f, "W=" + w + " n=" + sizes[s] + " i=" + i);
                }
                for (float[][] r : results) {
                    assertArrayEquals(results.get(0)[2 * s], r[2 * s], "identical bytes on every rank (ring), W=" + w + " n=" + sizes[s]);
                    assertArrayEquals(results.get(0)[2 * s + 1], r[2 * s + 1], "identical bytes on every rank (small), W=" + w);
                }
            }
        }
    }

    @Test
    void nonIntegerSumsAreBitIdenticalAcrossRanks() throws Exception {
        for (int world : new int[] {3, 4, 7}) {
            List<float[][]> results = onRing(world, 10_000, ring -> {
                float[] mine = new float[4099];
                java.util.SplittableRandom rng = new java.util.SplittableRandom(ring.rank());
                for (int i = 0; i < mine.length; i++) {
                    mine[i] = (float) rng.nextGaussian();
                }
                ByteBuffer buf = direct(mine);
                ring.sumInPlace(buf);
                return new float[][] {floats(buf), ring.sum(mine)};
            });
            for (float[][] r : results) {
                assertArrayEquals(results.get(0)[0], r[0]);
                assertArrayEquals(results.get(0)[1], r[1]);
            }
        }
    }

    @Test
    void theSmallAllReduceTakesLog2WRounds() throws Exception {
        int[] expected = {0, 1, 2, 2, 3, 3, 3, 3, 4};
        for (int world : new int[] {1, 2, 3, 4, 5, 8, 9}) {
            assertEquals(expected[world - 1], onRing(world, 10_000, RingCollective::smallRounds).get(0), "W=" + world);
        }
    }

    @Test
    void ranksThatDisagreeOnTheSizeFailNamingThePeer() throws Exception {
        List<String> outcomes = onRing(2, 5_000, ring -> {
            try {
                ring.sumInPlace(direct(new float[10 + ring.rank()]));
                return "finished";
            } catch (RuntimeException e) {
                return e.getMessage();
            }
        });
        assertTrue(outcomes.get(0).contains("rank 1 sent") && outcomes.get(0).contains("disagree"), outcomes.get(0));
    }

    @Test
    void aConnectionFromAnotherAttemptCannotJoin() throws Exception {
        ServerSocket a = RingCollective.listen("127.0.0.1");
        ServerSocket b = RingCollective.listen("127.0.0.1");
        ServerSocket stale = RingCollective.listen("127.0.0.1");
        List<String> addresses = List.of(RingCollective.address(a), RingCollective.address(b));
        // rank 1 of an earlier attempt's ring, still linking to rank 0's (reused) address
        Thread old = new Thread(() -> {
            try {
                RingCollective.connect(1, List.of(addresses.get(0), RingCollective.address(stale)), stale, 2000).close();
            } catch (RuntimeException expected) {
                // its own ring never forms
            }
        });
        old.start();
        Thread.sleep(300); // the stale connection comes first
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.Future<float[]> r0 = pool.submit(() -> {
                try (RingCollective ring = RingCollective.connect(0, addresses, a, 10_000)) {
                    return ring.sum(new float[] {1, 2});
                }
            });
            java.util.concurrent.Future<float[]> r1 = pool.submit(() -> {
                try (RingCollective ring = RingCollective.connect(1, addresses, b, 10_000)) {
                    return ring.sum(new float[] {10, 20});
                }
            });
            assertArrayEquals(new float[] {11, 22}, r0.get(30, java.util.concurrent.TimeUnit.SECONDS));
            assertArrayEquals(new float[] {11, 22}, r1.get(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
            old.join();
        }
    }

    @Test
    void allGatherOfVariableSizes() throws Exception {
        for (int world = 1; world <= 8; world++) {
            int w = world;
            List<byte[][]> results = onRing(world, 10_000, ring -> {
                byte[] mine = new byte[ring.rank() * 3];
                Arrays.fill(mine, (byte) (ring.rank() + 1));
                return ring.allGather(mine);
            });
            for (byte[][] blocks : results) {
                assertEquals(w, blocks.length);
                for (int r = 0; r < w; r++) {
                    byte[] expected = new byte[r * 3];
                    Arrays.fill(expected, (byte) (r + 1));
                    assertArrayEquals(expected, blocks[r]);
                }
            }
            List<long[]> longs = onRing(world, 10_000, ring -> ring.gatherLongs(new long[] {ring.rank(), 10L * ring.rank()}));
            for (long[] l : longs) {
                assertEquals(2 * w, l.length);
                assertEquals(10L * (w - 1), l[2 * w - 1]);
            }
        }
    }

    @Test
    void aPeerThatStopsAnsweringFailsTheOthersWithinTheTimeout() throws Exception {
        long t0 = System.nanoTime();
        List<String> outcomes = onRing(3, 1500, ring -> {
            if (ring.rank() == 2) {
                return "silent"; // connected, then never takes part
            }
            try {
                ring.sumInPlace(direct(new float[1000]));
                return "finished";
            } catch (RuntimeException e) {
                return e.getMessage();
            }
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 20, "took " + seconds + " s");
        assertTrue(outcomes.get(0).contains("rank 0") && outcomes.get(0).contains("rank 2"), outcomes.get(0));
        assertTrue(!outcomes.get(1).equals("finished"), outcomes.get(1));
    }

    @Test
    void aRankThatNeverConnectsIsNamed() throws Exception {
        ServerSocket a = RingCollective.listen("127.0.0.1");
        ServerSocket b = RingCollective.listen("127.0.0.1");
        List<String> addresses = List.of(RingCollective.address(a), RingCollective.address(b));
        try {
            RingCollective.connect(0, addresses, a, 1000).close();
            fail("rank 1 never connected");
        } catch (RuntimeException e) {
            assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("did not connect"), e.getMessage());
        } finally {
            b.close();
        }
    }
}
