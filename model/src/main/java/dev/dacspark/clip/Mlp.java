package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The transformer MLP: c_fc (D -> 4D), QuickGELU, c_proj (4D -> D). */
public final class Mlp extends Module {
    public final Linear cFc;
    public final Linear cProj;

    public Mlp(long width) {
        this.cFc = child("c_fc", new Linear(width, 4 * width, true));
        this.cProj = child("c_proj", new Linear(4 * width, width, true));
    }

    public NDArray forward(NDArray x) {
        return cProj.forward(quickGelu(cFc.forward(x)));
    }

    /** OpenAI CLIP's activation: x * sigmoid(1.702 x). */
    static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(Tensors.mul(x, 1.702f)));
    }
}
