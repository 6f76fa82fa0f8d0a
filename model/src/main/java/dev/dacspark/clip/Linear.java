package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;

/**
 * A linear map {@code y = x W^T + b} with W of shape (d_out, d_in), as {@code torch.nn.Linear}.
 * Every q, k, v, out projection and MLP layer of CLIP is one of these, so an adapter (the DAC
 * expert pool, a plain LoRA) can attach to it by name; the adapter's update is added to the output.
 */
public final class Linear extends Module {

    /** An additive update to a linear map's output, computed from the map's input. */
    public interface Adapter {
        /** The update for input x (..., d_in): shape (..., d_out). */
        NDArray delta(NDArray x);
    }

    public final Param weight;
    public final Param bias;
    private final long inFeatures;
    private final long outFeatures;
    private Adapter adapter;

    public Linear(long inFeatures, long outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = param("weight", outFeatures, inFeatures);
        this.bias = bias ? param("bias", outFeatures) : null;
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }

    /**
     * x: (..., d_in) float32 -> (..., d_out) float32. The product runs in the weight's dtype ({@link Precision}: fp16 for
     * an fp16 backbone); the adapter sees the float32 input and adds its float32 update to the float32 output.
     */
    public NDArray forward(NDArray x) {
        NDArray w = weight.array(); // (d_out, d_in), float32 or the backbone's dtype; the bias has the same
        NDArray y = Precision.float32(ai.djl.nn.core.Linear.linear(Precision.in(x, w.getDataType()), w,
                bias == null ? null : bias.array()).singletonOrThrow());
        return adapter == null ? y : y.add(adapter.delta(x));
    }

    public Adapter adapter() {
        return adapter;
    }

    /**
     * Attaches an adapter; its parameters appear under this layer's name. An adapter that is a
     * {@link Module} is registered inline.
     */
    public void attach(Adapter a) {
        if (adapter != null) {
            throw new IllegalStateException("an adapter is already attached to this layer");
        }
        adapter = a;
        if (a instanceof Module m) {
            child("", m);
        }
    }

    /** Detaches the adapter, if any (after a merge). */
    public void detach() {
        adapter = null;
        removeChild("");
    }
}
