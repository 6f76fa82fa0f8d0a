package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Products and quotients with numbers, safe to differentiate. DJL's {@code x.mul(2f)} and {@code x.div(2f)} wrap the
 * number in a Java direct buffer and free it right after the call, but autograd keeps that scalar for the gradient of
 * mul and div. Once the garbage collector has freed the buffer, the backward pass reads freed memory: NaN losses now
 * and then, and runs that are not bit for bit reproducible. Products and quotients with numbers therefore go through
 * {@link #mul} and {@link #div}, whose scalar libtorch owns and autograd keeps alive. (Sums keep no operand for the
 * backward pass.)
 */
public final class Tensors {
    private Tensors() {}

    /** {@code x * value}; safe to differentiate. */
    public static NDArray mul(NDArray x, float value) {
        try (NDArray s = scalar(x, value)) {
            return x.mul(s);
        }
    }

    /** {@code x / value}; safe to differentiate. */
    public static NDArray div(NDArray x, float value) {
        try (NDArray s = scalar(x, value)) {
            return x.div(s);
        }
    }

    /** A 0-dimensional float32 array in libtorch's memory, on x's device. */
    private static NDArray scalar(NDArray x, float value) {
        NDArray s = HostTransfers.float32(x.getManager(), new float[] {value}, new Shape());
        if (s.getDevice().equals(x.getDevice())) {
            return s;
        }
        try (s) {
            return s.toDevice(x.getDevice(), true);
        }
    }
}
