package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Layer normalisation over the last dimension, eps 1e-5, as {@code torch.nn.LayerNorm}. */
public final class LayerNorm extends Module {
    public final Param weight;
    public final Param bias;
    private final Shape normalizedShape;

    public LayerNorm(long width) {
        this.weight = param("weight", width);
        this.bias = param("bias", width);
        this.normalizedShape = new Shape(width);
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalizedShape, weight.array(), bias.array(), 1e-5f)
                .singletonOrThrow();
    }
}
