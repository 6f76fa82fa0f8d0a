package dev.dacspark.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.dacspark.clip.Tensors;

/**
 * Top-k selection on the values' device with a fixed tie rule: larger values first, and among equal values the
 * LOWER index first. Vote counts tie often; fixing the rule makes runs reproducible (the reference leaves tie order
 * to {@code torch.topk}; the golden vectors were made with this rule).
 *
 * <p>The rank of value i in its row of n is the number of values that come before it: the larger ones and the equal
 * ones at lower indices; the top k are the ranks below k. That is n^2 comparisons per row, for the pools' n = r = 12
 * a few tiny kernels, and no sort (whose order among ties torch leaves open) and no read to the host.
 */
public final class TopK {
    private TopK() {}

    /** values (..., n) -> ranks (..., n) int64: 0 for the largest, ties broken toward the lower index. */
    public static NDArray ranks(NDArray values) {
        NDArray lower = lowerIndex(values.getDevice(), values.getShape().tail()); // (n, n): [i, j] = j < i
        NDArray vi = values.expandDims(-1);                           // (..., n, 1)
        NDArray vj = values.expandDims(-2);                           // (..., 1, n)
        NDArray before = vj.gt(vi).logicalOr(vj.eq(vi).logicalAnd(lower)); // (..., n, n): j comes before i
        return before.sum(new int[] {-1});
    }

    /** values (..., n) -> (..., n) boolean, true at the top k of each row. */
    public static NDArray mask(NDArray values, int k) {
        check(values, k);
        return ranks(values).lt(Tensors.constant(values.getDevice(), k));
    }

    /** values (n) -> the indices of the k largest (k) int64, in descending order of value (ties: lower index first). */
    public static NDArray indices(NDArray values, int k) {
        check(values, k);
        long n = values.getShape().tail();
        NDArray isRank = ranks(values).expandDims(0).eq(arange(values, k).expandDims(1)); // (k, n): [j, i] = rank_i == j
        return isRank.toType(DataType.INT64, false).mul(arange(values, n)).sum(new int[] {-1});
    }

    private static void check(NDArray values, int k) {
        long n = values.getShape().tail();
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("top-" + k + " of " + n + " values");
        }
    }

    private record LowerIndex(long n) {}

    /** (n, n) boolean, [i, j] = j < i: a constant of the device (made once). */
    private static NDArray lowerIndex(Device device, long n) {
        return Tensors.constant(device, new LowerIndex(n), m -> {
            NDArray index = m.arange(0, Math.toIntExact(n), 1, DataType.INT64);
            return index.expandDims(0).lt(index.expandDims(1));
        });
    }

    /** 0, 1, ..., n - 1 (int64) on the device of {@code like}. */
    static NDArray arange(NDArray like, long n) {
        return like.getManager().arange(0, Math.toIntExact(n), 1, DataType.INT64).toDevice(like.getDevice(), false);
    }
}
