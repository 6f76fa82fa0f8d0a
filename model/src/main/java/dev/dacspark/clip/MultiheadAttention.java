package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Multi-head self-attention with q, k, v and the out projection as four separate {@link Linear}
 * layers (OpenAI's checkpoint packs q, k, v into one {@code in_proj}; the checkpoint codec splits
 * it). The out projection is named {@code proj}, as in the DAC release's module names.
 *
 * <p>Computation as {@code torch.nn.MultiheadAttention}: q is scaled by 1/sqrt(head_dim) before
 * the product with k; an additive mask (causal for text) is added before the softmax.
 */
public final class MultiheadAttention extends Module {
    public final Linear qProj;
    public final Linear kProj;
    public final Linear vProj;
    public final Linear proj;
    private final int heads;
    private final long width;

    public MultiheadAttention(long width, int heads) {
        if (width % heads != 0) {
            throw new IllegalArgumentException("attention width " + width + " is not divisible by " + heads + " heads");
        }
        this.width = width;
        this.heads = heads;
        this.qProj = child("q_proj", new Linear(width, width, true));
        this.kProj = child("k_proj", new Linear(width, width, true));
        this.vProj = child("v_proj", new Linear(width, width, true));
        this.proj = child("proj", new Linear(width, width, true));
    }

    /**
     * x: (N, L, D); mask: (L, L) additive or null. Returns (N, L, D).
     */
    public NDArray forward(NDArray x, NDArray mask) {
        long n = x.getShape().get(0);
        long l = x.getShape().get(1);
        long headDim = width / heads;
        NDArray q = Tensors.div(splitHeads(qProj.forward(x), n, l, headDim), (float) Math.sqrt(headDim)); // (N, H, L, hd)
        NDArray k = splitHeads(kProj.forward(x), n, l, headDim);
        NDArray v = splitHeads(vProj.forward(x), n, l, headDim);
        DataType type = qProj.weight.array().getDataType(); // the backbone's dtype: the products' (float32 or float16)
        NDArray scores = Precision.matMul(q, k.transpose(0, 1, 3, 2), type); // (N, H, L, L) float32
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray attn = scores.softmax(-1); // float32
        NDArray out = Precision.matMul(attn, v, type).transpose(0, 2, 1, 3).reshape(n, l, width); // (N, L, D)
        return proj.forward(out);
    }

    private NDArray splitHeads(NDArray t, long n, long l, long headDim) {
        return t.reshape(n, l, heads, headDim).transpose(0, 2, 1, 3);
    }
}
