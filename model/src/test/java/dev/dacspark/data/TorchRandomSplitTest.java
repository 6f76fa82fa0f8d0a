package dev.dacspark.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * torch.randperm on CPU with a generator seeded 42. n = 10 and the start of n = 100 are torch's own
 * output; the larger n were computed with CPython's C Mersenne Twister (random.Random with its state
 * set to init_genrand(42)), an implementation independent of ours, and agree with torch for
 * n = 9144 and 27000 (../shared/reference/mtil-native.md).
 */
class TorchRandomSplitTest {
    @Test
    void matchesTorchRandperm() {
        assertArrayEquals(new int[] {2, 6, 1, 8, 4, 5, 0, 9, 3, 7}, TorchRandomSplit.randperm(10, 42));
        assertArrayEquals(new int[] {42, 96, 62, 98, 46, 95, 60, 24}, Arrays.copyOf(TorchRandomSplit.randperm(100, 42), 8));
        assertArrayEquals(new int[] {6, 8, 1, 7, 0, 2, 10, 11, 4, 3, 5, 9}, TorchRandomSplit.randperm(12, 42));
        assertEnds(TorchRandomSplit.randperm(9144, 42), new int[] {6774, 7471, 3436, 1909, 4230, 7543}, new int[] {2672, 8973, 3901});
        assertEnds(TorchRandomSplit.randperm(27000, 42), new int[] {4542, 1781, 1366, 19963, 16858, 17590}, new int[] {17862, 19623, 14456});
        assertEnds(TorchRandomSplit.randperm(108754, 42), new int[] {57128, 82947, 84286, 54173, 36280, 39383},
                new int[] {10312, 80427, 108355});
    }

    @Test
    void firstSplitIsThePermutationsHead() {
        // random_split([0.8 n, n - 0.8 n]) of n = 12: int(9.6) = 9 training indices, perm[0..8]
        boolean[] train = TorchRandomSplit.inFirstSplit(12, 0.8, 42);
        boolean[] expected = new boolean[12];
        for (int i : new int[] {6, 8, 1, 7, 0, 2, 10, 11, 4}) {
            expected[i] = true;
        }
        assertArrayEquals(expected, train);
        assertEquals(21600, TorchRandomSplit.firstLength(27000, 0.8)); // EuroSAT's official 21600 / 5400
        assertEquals(6941, TorchRandomSplit.firstLength(8677, 0.8));   // Caltech101's 6941 / 1736
        assertEquals(87003, TorchRandomSplit.firstLength(108754, 0.8)); // SUN397's 87003 / 21751
    }

    private static void assertEnds(int[] perm, int[] head, int[] tail) {
        assertArrayEquals(head, Arrays.copyOf(perm, head.length));
        assertArrayEquals(tail, Arrays.copyOfRange(perm, perm.length - tail.length, perm.length));
        int[] sorted = perm.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i], "a permutation of 0..n-1");
        }
    }
}
