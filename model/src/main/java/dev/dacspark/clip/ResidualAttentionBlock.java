package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;

/** A pre-LN transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class ResidualAttentionBlock extends Module {
    public final MultiheadAttention attn;
    public final LayerNorm ln1;
    public final Mlp mlp;
    public final LayerNorm ln2;

    public ResidualAttentionBlock(long width, int heads) {
        this.attn = child("attn", new MultiheadAttention(width, heads));
        this.ln1 = child("ln_1", new LayerNorm(width));
        this.mlp = child("mlp", new Mlp(width));
        this.ln2 = child("ln_2", new LayerNorm(width));
    }

    /** x: (N, L, D); mask: (L, L) additive or null. */
    public NDArray forward(NDArray x, NDArray mask) {
        x = x.add(attn.forward(ln1.forward(x), mask));
        return x.add(mlp.forward(ln2.forward(x)));
    }
}
