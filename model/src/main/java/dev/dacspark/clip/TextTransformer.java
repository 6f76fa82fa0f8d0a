package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Embedding;

/**
 * CLIP's text encoder: token and positional embeddings, a causally masked transformer, ln_final,
 * pooling at the end-of-text token (the highest id of each row, as OpenAI's {@code argmax}), and the
 * projection to the joint embedding. Parameter names are OpenAI's top-level text names.
 */
public final class TextTransformer extends Module {
    public final Param tokenEmbedding;      // (vocab, width)
    public final Param positionalEmbedding; // (context, width)
    public final Transformer transformer;
    public final LayerNorm lnFinal;
    public final Param textProjection;      // (width, embed)
    private final int contextLength;

    public TextTransformer(ClipConfig c) {
        this.contextLength = c.contextLength();
        this.tokenEmbedding = param("token_embedding.weight", c.vocabSize(), c.transformerWidth());
        this.positionalEmbedding = param("positional_embedding", c.contextLength(), c.transformerWidth());
        this.transformer = child("transformer", new Transformer(c.transformerWidth(), c.transformerLayers(), c.transformerHeads()));
        this.lnFinal = child("ln_final", new LayerNorm(c.transformerWidth()));
        this.textProjection = param("text_projection", c.transformerWidth(), c.embedDim());
    }

    /** tokens: (N, context) int64 ids -> (N, embed), not normalised. */
    public NDArray forward(NDArray tokens) {
        long n = tokens.getShape().get(0);
        long l = tokens.getShape().get(1);
        if (l != contextLength) {
            throw new IllegalArgumentException("text must have " + contextLength + " tokens per row, got " + l);
        }
        NDArray x = Precision.float32(Embedding.embedding(tokens, tokenEmbedding.array(), ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow()).add(positionalEmbedding.array()); // (N, L, width) float32
        x = transformer.forward(x, causalMask(x, l));
        x = lnFinal.forward(x);
        NDArray eot = tokens.argMax(1); // (N)
        NDArray rows = x.getManager().arange(0, n * l, l, DataType.INT64).toDevice(x.getDevice(), false).add(eot); // i * L + eot_i
        NDArray pooled = x.reshape(n * l, -1).get(rows); // (N, width)
        return Precision.matMul(pooled, textProjection.array(), textProjection.array().getDataType());
    }

    /** (L, L) additive mask on the device of {@code like}: 0 on and below the diagonal, -inf above. */
    static NDArray causalMask(NDArray like, long l) {
        NDManager m = like.getManager();
        Shape square = new Shape(l, l);
        NDArray index = m.arange(0, Math.toIntExact(l), 1, DataType.INT64).toDevice(like.getDevice(), false);
        NDArray above = index.expandDims(0).gt(index.expandDims(1)); // [i, j] = j > i
        return NDArrays.where(above, m.full(square, Float.NEGATIVE_INFINITY).toDevice(like.getDevice(), false),
                m.zeros(square).toDevice(like.getDevice(), false));
    }
}
