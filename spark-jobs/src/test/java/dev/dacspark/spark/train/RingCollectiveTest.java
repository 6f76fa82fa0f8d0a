package dev.dacspark.spark.train;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The ring collectives with W = 1..5 ranks as threads of one JVM on loopback. */
class RingCollectiveTest {

    /** W ranks on loopback; the whole run is bounded so that a bug cannot hang the suite. */
    static <T> List<T> onRing(int world, int timeoutMillis, Function<RingCollective, T> body) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> RingCollective.onLoopback(world, timeoutMillis, body));
    }

    @Test
    void sumsAreExactAndIdenticalOnEveryRank() throws Exception {
        for (int world = 1; world <= 5; world++) {
            for (int n : new int[] {0, 1, 3, 7, 1001, 100_003}) {
                int w = world;
                List<float[]> results = onRing(world, 10_000, ring -> {
                    float[] mine = new float[n];
                    for (int i = 0; i < n; i++) {
                        mine[i] = (i % 97) + 1000f * ring.rank() - 3;
                    }
                    float[] once = ring.sum(mine);
                    float[] twice = ring.sum(mine); // the ring is reusable
                    assertArrayEquals(once, twice);
                    return once;
                });
                for (int i = 0; i < n; i++) {
                    float expected = 0;
                    for (int r = 0; r < w; r++) {
                        expected += (i % 97) + 1000f * r - 3;
                    }
                    assertEquals(expected, results.get(0)[i], 0f, "W=" + w + " n=" + n + " i=" + i);
                }
                for (float[] r : results) {
                    assertArrayEquals(results.get(0), r, "identical bytes on every rank, W=" + w + " n=" + n);
                }
            }
        }
    }

    @Test
    void nonIntegerSumsAreBitIdenticalAcrossRanks() throws Exception {
        List<float[]> results = onRing(4, 10_000, ring -> {
            float[] mine = new float[4099];
            java.util.SplittableRandom rng = new java.util.SplittableRandom(ring.rank());
            for (int i = 0; i < mine.length; i++) {
                mine[i] = (float) rng.nextGaussian();
            }
            return ring.sum(mine);
        });
        for (float[] r : results) {
            assertArrayEquals(results.get(0), r);
        }
    }

    @Test
    void allGatherOfVariableSizes() throws Exception {
        for (int world = 1; world <= 5; world++) {
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
                ring.sum(new float[1000]);
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
