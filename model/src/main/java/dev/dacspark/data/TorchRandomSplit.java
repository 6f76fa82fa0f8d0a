package dev.dacspark.data;

/**
 * PyTorch's {@code torch.utils.data.random_split(dataset, [int(f n), n - int(f n)],
 * generator=torch.Generator().manual_seed(seed))} on CPU, exactly: the permutation is
 * {@code torch.randperm(n, generator)}, a Fisher-Yates shuffle driven by the 32-bit Mersenne
 * Twister (MT19937 seeded with {@code init_genrand(seed)}); its first {@code int(f n)} entries are
 * the first split. The MTIL reference splits Caltech101, EuroSAT and SUN397 this way (seed 42).
 */
public final class TorchRandomSplit {
    private TorchRandomSplit() {}

    /** {@code torch.randperm(n, generator=torch.Generator().manual_seed(seed))} on CPU. */
    public static int[] randperm(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("randperm: n must be >= 0, got " + n);
        }
        Mt19937 mt = new Mt19937(seed);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        // libtorch's randperm_cpu: z = random() % (n - i); swap r[i], r[i + z] (n < 2^32 / 20)
        for (int i = 0; i < n - 1; i++) {
            int z = (int) (mt.next() % (n - i));
            int t = r[i];
            r[i] = r[i + z];
            r[i + z] = t;
        }
        return r;
    }

    /** The size of the first split: Python's {@code int(fraction * n)}. */
    public static int firstLength(int n, double fraction) {
        return (int) Math.floor(fraction * n);
    }

    /** For each index of the dataset, whether random_split puts it in the first (training) split. */
    public static boolean[] inFirstSplit(int n, double fraction, long seed) {
        int[] perm = randperm(n, seed);
        boolean[] first = new boolean[n];
        for (int i = 0; i < firstLength(n, fraction); i++) {
            first[perm[i]] = true;
        }
        return first;
    }

    /** MT19937, the 32-bit Mersenne Twister (Matsumoto and Nishimura's genrand_int32). */
    static final class Mt19937 {
        private static final int N = 624;
        private static final int M = 397;
        private final int[] mt = new int[N];
        private int index = N;

        Mt19937(long seed) {
            mt[0] = (int) seed; // init_genrand takes the low 32 bits
            for (int i = 1; i < N; i++) {
                mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
            }
        }

        /** The next 32-bit output, unsigned. */
        long next() {
            if (index >= N) {
                twist();
            }
            int y = mt[index++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y & 0xffffffffL;
        }

        private void twist() {
            for (int i = 0; i < N; i++) {
                int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
                mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            index = 0;
        }
    }
}
