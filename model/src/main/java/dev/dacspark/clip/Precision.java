package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The dtype of the frozen backbone ({@code dac.model.precision}): its matmul weights and their products.
 *
 * <p>With {@link #FP16}, {@link ClipModel#setPrecision} holds the weights of every product of the backbone in float16:
 * each {@link Linear}'s weight and bias, the patch embedding {@code conv1}, the two output projections and the token
 * embedding table; their products (and attention's q k^T and attn v) run in float16. Everything else is float32: the
 * residual stream, the layer norms, softmax, the positional and class embeddings, {@code logit_scale}, the LoRA pool
 * (A, B), the router, the losses and the optimiser state. Each product casts its input to its weight's dtype
 * ({@link #in}) and its output back to float32 ({@link #float32}); with {@link #FP32} both are the array itself, so the
 * float32 model computes bit for bit what it computed before precisions existed.
 *
 * <p>Why float16 and not bfloat16: DJL 0.36.0's PyTorch engine has no bfloat16. Its JNI maps dtype codes 0-8 (float32 ..
 * complex64) and ends in a bare {@code throw;} for any other, so making or casting to a bfloat16 array aborts the JVM
 * ("terminate called without an active exception"). Float16 it has; OpenAI trained CLIP in mixed float16 and released
 * its weights in float16. And its casts ({@code toType}) run under a {@code NoGradGuard}: a cast inside the graph would
 * cut the LoRA gradients that flow back through the frozen backbone, so {@link #cast} copies into an array of the target
 * dtype by an indexed assignment, which autograd differentiates (the gradient comes back cast to the source dtype).
 */
public enum Precision {
    FP32(DataType.FLOAT32), FP16(DataType.FLOAT16);

    /** Why there is no bf16: what {@code dac.model.precision} and the benchmarks' {@code --precision} say when asked for it. */
    public static final String NO_BF16 = "bf16 is not available: DJL 0.36.0's PyTorch engine has no bfloat16 arrays (one "
            + "aborts the JVM); fp16 is the reduced precision it has";

    public final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    /** The precision named {@code id} as {@code dac.model.precision} spells it (fp32, fp16); {@code what} names the setting in errors. */
    public static Precision of(String id, String what) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException(what + " '" + id + "': " + (id.equalsIgnoreCase("bf16") ? NO_BF16 : "expected fp32 or fp16"));
    }

    /** x in {@code type} (x itself when it has that type already): the input of a product in that type. */
    public static NDArray in(NDArray x, DataType type) {
        return cast(x, type);
    }

    /** x in float32 (x itself when it is float32): a product's output back in the residual stream's type. */
    public static NDArray float32(NDArray x) {
        return cast(x, DataType.FLOAT32);
    }

    /** a b computed in {@code type}, returned in float32; a: (..., n, k), b: (..., k, m) -> (..., n, m). */
    public static NDArray matMul(NDArray a, NDArray b, DataType type) {
        return float32(in(a, type).matMul(in(b, type)));
    }

    /** x as {@code type}, differentiable: x itself when it has that type, else a copy by indexed assignment. */
    private static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        NDArray out = x.getManager().zeros(x.getShape(), type).toDevice(x.getDevice(), false);
        out.set(new NDIndex("..."), x);
        return out;
    }
}
