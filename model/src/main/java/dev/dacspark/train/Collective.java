package dev.dacspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * The collective operations data-parallel training needs between W ranks. A single process is the
 * case W = 1, where every operation is the identity.
 */
public interface Collective {
    int rank();

    int worldSize();

    /** Element-wise sum over the ranks; every rank gets the same bytes. */
    float[] sum(float[] local);

    /** Every rank's bytes, in rank order. */
    byte[][] allGather(byte[] local);

    /**
     * The rows of every rank stacked in rank order, this rank's rows being {@code local} itself
     * (still differentiable) and the others constants, as open_clip's gather-with-grad does. Each
     * rank's backward then yields its part of the gradient; the parts sum to the gradient of one
     * process holding the whole batch.
     */
    default NDArray gatherRows(NDArray local) {
        if (worldSize() == 1) {
            return local;
        }
        float[] mine = dev.dacspark.clip.HostTransfers.floats(local);
        byte[] bytes = new byte[mine.length * 4];
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(mine);
        byte[][] all = allGather(bytes);
        NDList parts = new NDList();
        long cols = local.getShape().get(1);
        for (int r = 0; r < all.length; r++) {
            if (r == rank()) {
                parts.add(local);
            } else {
                float[] v = new float[all[r].length / 4];
                java.nio.ByteBuffer.wrap(all[r]).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                parts.add(dev.dacspark.clip.HostTransfers.float32(local.getManager(), v, new ai.djl.ndarray.types.Shape(v.length / cols, cols))
                        .toDevice(local.getDevice(), false));
            }
        }
        return NDArrays.concat(parts, 0);
    }

    /** Every rank's values concatenated in rank order. */
    default long[] gatherLongs(long[] local) {
        if (worldSize() == 1) {
            return local;
        }
        byte[] bytes = new byte[local.length * 8];
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(local);
        byte[][] all = allGather(bytes);
        int n = 0;
        for (byte[] b : all) {
            n += b.length / 8;
        }
        long[] out = new long[n];
        int off = 0;
        for (byte[] b : all) {
            java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out, off, b.length / 8);
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
        public byte[][] allGather(byte[] local) {
            return new byte[][] {local};
        }
    }
}
