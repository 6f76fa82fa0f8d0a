package dev.dacspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.HostTransfers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The collective operations data-parallel training needs between W ranks. A single process is the
 * case W = 1, where every operation is the identity.
 */
public interface Collective {
    int rank();

    int worldSize();

    /**
     * Element-wise sum over the ranks of a small array (vote counts: tens to thousands of floats), by a
     * latency-optimal algorithm; every rank gets the same bytes.
     */
    float[] sum(float[] local);

    /**
     * Element-wise sum over the ranks of a large buffer of float32 in native byte order (position 0 to limit; a
     * direct buffer: the gradients), in place, by a bandwidth-optimal algorithm; every rank ends with the same bytes.
     */
    void sumInPlace(ByteBuffer floats);

    /** Every rank's bytes, in rank order. */
    byte[][] allGather(byte[] local);

    /**
     * The rows of every rank stacked in rank order, this rank's rows being {@code local} itself
     * (still differentiable) and the others constants, as open_clip's gather-with-grad does. Each
     * rank's backward then yields its part of the gradient; the parts sum to the gradient of one
     * process holding the whole batch. One read of this rank's rows, one upload of the other ranks'.
     */
    default NDArray gatherRows(NDArray local) {
        if (worldSize() == 1) {
            return local;
        }
        float[] mine = HostTransfers.floats(local);
        byte[] bytes = new byte[mine.length * 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(mine);
        byte[][] all = allGather(bytes);
        int before = 0; // floats of the ranks before this one
        int others = 0;
        for (int r = 0; r < all.length; r++) {
            before += r < rank() ? all[r].length / 4 : 0;
            others += r == rank() ? 0 : all[r].length / 4;
        }
        float[] v = new float[others];
        int off = 0;
        for (int r = 0; r < all.length; r++) {
            if (r != rank()) {
                ByteBuffer.wrap(all[r]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v, off, all[r].length / 4);
                off += all[r].length / 4;
            }
        }
        long cols = local.getShape().get(1);
        NDArray rest = HostTransfers.float32(local.getManager(), v, new Shape(others / cols, cols)).toDevice(local.getDevice(), false);
        long rowsBefore = before / cols;
        NDList parts = new NDList();
        if (rowsBefore > 0) {
            parts.add(rest.get("0:" + rowsBefore));
        }
        parts.add(local);
        if (rowsBefore < rest.getShape().get(0)) {
            parts.add(rest.get(rowsBefore + ":"));
        }
        return NDArrays.concat(parts, 0);
    }

    /** Every rank's values concatenated in rank order. */
    default long[] gatherLongs(long[] local) {
        if (worldSize() == 1) {
            return local;
        }
        byte[] bytes = new byte[local.length * 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(local);
        byte[][] all = allGather(bytes);
        int n = 0;
        for (byte[] b : all) {
            n += b.length / 8;
        }
        long[] out = new long[n];
        int off = 0;
        for (byte[] b : all) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out, off, b.length / 8);
            off += b.length / 8;
        }
        return out;
    }

    /** One process: W = 1. */
    Collective SINGLE = new Single();

    /** The collective of one process, where every operation is the identity. */
    class Single implements Collective {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public float[] sum(float[] local) {
            return local;
        }

        @Override
        public void sumInPlace(ByteBuffer floats) {}

        @Override
        public byte[][] allGather(byte[] local) {
            return new byte[][] {local};
        }
    }
}
