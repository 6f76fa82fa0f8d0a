package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.HostTransfers;

/** Conversion between safetensors tensors (host values) and DJL arrays, always through fp32. */
public final class TensorArrays {
    private TensorArrays() {}

    /** A tensor (any floating-point dtype) as an fp32 NDArray of the same shape on {@code manager}. */
    public static NDArray toNDArray(Tensor t, NDManager manager) {
        return HostTransfers.float32(manager, t.toFloats(), new Shape(t.shape()));
    }

    /** An NDArray as an fp32 tensor of the same shape. */
    public static Tensor fromNDArray(NDArray a) {
        return Tensor.ofFloats(a.getShape().getShape(), HostTransfers.floats(a));
    }
}
