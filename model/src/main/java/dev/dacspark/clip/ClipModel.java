package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.dacspark.config.Section;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * OpenAI's CLIP: an image encoder ({@code visual.*}), a text encoder (top-level names) and the
 * learned temperature {@code logit_scale}. Parameter names are OpenAI's, except that attention is
 * split into q_proj, k_proj, v_proj and proj (see {@link dev.dacspark.checkpoint.ClipCheckpoint}).
 */
public final class ClipModel extends Module {
    private final ClipConfig config;
    public final VisionTransformer visual;
    public final TextTransformer text;
    public final Param logitScale;
    private Precision precision = Precision.FP32;

    public ClipModel(ClipConfig config) {
        this.config = config;
        this.visual = child("visual", new VisionTransformer(config));
        this.text = child("", new TextTransformer(config)); // OpenAI keeps the text tower at the top level
        this.logitScale = param("logit_scale");
    }

    public ClipConfig config() {
        return config;
    }

    /** The dtype of the frozen backbone's products: {@link Precision#FP32} unless {@link #setPrecision} changed it. */
    public Precision precision() {
        return precision;
    }

    /**
     * Holds the frozen backbone in {@code p} ({@link Precision} says what that covers): casts the weights of its
     * products (every {@link Linear}'s weight and bias, {@code visual.conv1}, {@code visual.proj},
     * {@code text_projection}, {@code token_embedding}) from float32, once, right after loading and before pools are
     * attached (their routers are Linears that stay float32). An fp16 model is for the forward and backward passes of
     * training and evaluation: merging into it would round the update away ({@code ExpertPools#mergeAndDetach}
     * refuses), and its weights are saved as the float32 values of their fp16 roundings.
     */
    public void setPrecision(Precision p) {
        if (p == precision) {
            return;
        }
        if (precision != Precision.FP32) {
            throw new IllegalStateException("the backbone is " + Section.id(precision) + " already; load the checkpoint again for "
                    + Section.id(p));
        }
        List<Param> products = new ArrayList<>(List.of(visual.conv1, visual.proj, text.textProjection, text.tokenEmbedding));
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            if (e.getValue() instanceof Linear linear) {
                if (linear.adapter() != null) {
                    throw new IllegalStateException("'" + e.getKey() + "' has an adapter: set the backbone's precision before attaching pools");
                }
                products.add(linear.weight);
                if (linear.bias != null) {
                    products.add(linear.bias);
                }
            }
        }
        for (Param param : products) {
            param.set(param.array().toType(p.dataType, false));
        }
        precision = p;
    }

    /** images: (N, 3, R, R) -> (N, embed), not normalised. */
    public NDArray encodeImage(NDArray images) {
        return visual.forward(images);
    }

    /** tokens: (N, context) int64 -> (N, embed), not normalised. */
    public NDArray encodeText(NDArray tokens) {
        return text.forward(tokens);
    }

    /** logits_per_image (N_img, N_txt) = exp(logit_scale) * cos(image, text). */
    public NDArray logitsPerImage(NDArray imageFeatures, NDArray textFeatures) {
        return scaledProducts(normalize(imageFeatures), normalize(textFeatures));
    }

    /** exp(logit_scale) * a b^T for row-normalised a (N, D) and b (M, D): (N, M) logits. */
    public NDArray scaledProducts(NDArray a, NDArray b) {
        return a.matMul(b.transpose()).mul(logitScale.array().exp());
    }

    /** L2-normalises the rows of x (N, D). */
    public static NDArray normalize(NDArray x) {
        return x.div(x.norm(new int[] {-1}, true));
    }

    /**
     * Fills every parameter with OpenAI's initialisation ({@code initialize_parameters}), drawn from
     * a seeded Java generator so that the same seed gives the same weights on every machine.
     */
    public void initialize(NDManager manager, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Map.Entry<String, Param> e : namedParameters().entrySet()) {
            e.getValue().set(HostTransfers.float32(manager, initValues(e.getKey(), e.getValue().shape(), rng), e.getValue().shape()));
        }
    }

    private float[] initValues(String name, Shape shape, SplittableRandom rng) {
        float[] v = new float[Math.toIntExact(shape.size())];
        boolean vision = name.startsWith("visual.");
        long width = vision ? config.visionWidth() : config.transformerWidth();
        int layers = vision ? config.visionLayers() : config.transformerLayers();
        double attnStd = Math.pow(width, -0.5);
        double projStd = attnStd * Math.pow(2.0 * layers, -0.5);
        double std;
        if (name.equals("logit_scale")) {
            v[0] = (float) Math.log(1 / 0.07);
            return v;
        } else if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.endsWith("ln_pre.weight")
                || name.endsWith("ln_post.weight") || name.endsWith("ln_final.weight")) {
            java.util.Arrays.fill(v, 1f);
            return v;
        } else if (name.endsWith(".bias")) {
            return v;
        } else if (name.equals("token_embedding.weight")) {
            std = 0.02;
        } else if (name.equals("positional_embedding")) {
            std = 0.01;
        } else if (name.endsWith("_proj.weight") && name.contains(".attn.")) {
            std = attnStd;
        } else if (name.endsWith("attn.proj.weight") || name.endsWith("c_proj.weight")) {
            std = projStd;
        } else if (name.endsWith("c_fc.weight")) {
            std = Math.pow(2.0 * width, -0.5);
        } else if (name.equals("text_projection") || name.equals("visual.proj")
                || name.equals("visual.class_embedding") || name.equals("visual.positional_embedding")) {
            std = Math.pow(width, -0.5);
        } else {
            std = Math.pow(shape.size() / shape.get(0), -0.5); // conv1: fan-in scaled
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return v;
    }
}
