package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Float arrays made from Java data, in memory that libtorch allocated. DJL's PyTorch engine wraps a
 * Java direct buffer (16-byte aligned, at an address that changes from run to run) for
 * {@code manager.create(float[])}; libtorch's own allocations are 64-byte aligned. MKL computes
 * bitwise reproducible results ({@code MKL_CBWR}) only for aligned inputs, so every tensor that
 * enters the computation is copied into libtorch's memory here, once.
 */
public final class Tensors {
    private Tensors() {}

    /** A float32 array of the given shape holding {@code data}, in libtorch's memory, on the manager's device. */
    public static NDArray float32(NDManager manager, float[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }
}
