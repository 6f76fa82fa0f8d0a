package dev.dacspark.lora;

/**
 * Top-k selection with a fixed tie rule: larger values first, and among equal values the LOWER
 * index first. Vote counts tie often; fixing the rule makes runs reproducible (the reference
 * leaves tie order to {@code torch.topk}; the golden vectors were made with this rule).
 */
public final class TopK {
    private TopK() {}

    /** Indices of the k largest values, in descending order of value (ties: lower index first). */
    public static int[] indices(float[] values, int k) {
        return indices(values, 0, values.length, k);
    }

    /** As {@link #indices(float[], int)} over values[offset .. offset + n). */
    public static int[] indices(float[] values, int offset, int n, int k) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("top-" + k + " of " + n + " values");
        }
        int[] out = new int[k];
        boolean[] taken = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || values[offset + i] > values[offset + best])) {
                    best = i;
                }
            }
            taken[best] = true;
            out[j] = best;
        }
        return out;
    }

    /** A 0/1 mask of length n with ones at the given indices. */
    public static float[] mask(int[] indices, int n) {
        float[] m = new float[n];
        for (int i : indices) {
            m[i] = 1f;
        }
        return m;
    }
}
