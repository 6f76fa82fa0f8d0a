package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * CLIP's image encoder (OpenAI {@code VisionTransformer}): patch embedding by a strided convolution
 * without bias, a learned class embedding prepended, positional embedding, ln_pre, the transformer,
 * ln_post on the class token, and the projection to the joint embedding.
 */
public final class VisionTransformer extends Module {
    public final Param conv1;               // (width, 3, patch, patch)
    public final Param classEmbedding;      // (width)
    public final Param positionalEmbedding; // (grid*grid + 1, width)
    public final LayerNorm lnPre;
    public final Transformer transformer;
    public final LayerNorm lnPost;
    public final Param proj;                // (width, embed)
    private final int patchSize;
    private final long width;

    public VisionTransformer(ClipConfig c) {
        this.patchSize = c.visionPatchSize();
        this.width = c.visionWidth();
        long grid = c.imageResolution() / c.visionPatchSize();
        this.conv1 = param("conv1.weight", width, 3, patchSize, patchSize);
        this.classEmbedding = param("class_embedding", width);
        this.positionalEmbedding = param("positional_embedding", grid * grid + 1, width);
        this.lnPre = child("ln_pre", new LayerNorm(width));
        this.transformer = child("transformer", new Transformer(width, c.visionLayers(), c.visionHeads()));
        this.lnPost = child("ln_post", new LayerNorm(width));
        this.proj = param("proj", width, c.embedDim());
    }

    /** images: (N, 3, R, R) normalised pixels -> (N, embed), not normalised. */
    public NDArray forward(NDArray images) {
        long n = images.getShape().get(0);
        NDArray w = conv1.array(); // float32 or the backbone's dtype
        NDArray x = Precision.float32(Conv2d.conv2d(Precision.in(images, w.getDataType()), w, null, new Shape(patchSize, patchSize))
                .singletonOrThrow()); // (N, width, grid, grid) float32
        x = x.reshape(n, width, -1).transpose(0, 2, 1); // (N, grid^2, width)
        NDArray cls = classEmbedding.array().reshape(1, 1, width).broadcast(n, 1, width);
        x = cls.concat(x, 1).add(positionalEmbedding.array()); // (N, grid^2 + 1, width)
        x = transformer.forward(lnPre.forward(x), null);
        NDArray pooled = lnPost.forward(x.get(":, 0, :")); // (N, width)
        return Precision.matMul(pooled, proj.array(), proj.array().getDataType());
    }
}
