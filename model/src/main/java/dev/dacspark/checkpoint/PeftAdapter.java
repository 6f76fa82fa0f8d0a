package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A LoRA adapter in PEFT's layout ({@code adapter_config.json}, {@code adapter_model.safetensors}) for a Hugging Face
 * {@code CLIPModel}: per adapted linear layer, A (r x d_in) and B (d_out x r) under {@code
 * base_model.model.<CLIPModel module>.lora_A.weight} / {@code .lora_B.weight}, and one scaling {@code lora_alpha / r}.
 * Applied, each layer's weight becomes {@code W + (lora_alpha / r) B A}, what PEFT's {@code merge_and_unload} gives.
 *
 * <p>A task's merged experts are such an adapter: the rows S of A and columns S of B with r = |S| (merge-top-k) and
 * {@code lora_alpha = s r}, so that PEFT's scaling is DAC's s; applied to the model the task started from, it gives the
 * task's merged model ({@link #ofMergedExperts}). Modules are held under our names
 * ({@code visual.transformer.resblocks.0.attn.q_proj}); {@link KeyNaming} gives theirs.
 */
public final class PeftAdapter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
    private static final String CONFIG = "adapter_config.json";
    private static final String WEIGHTS = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final Pattern KEY = Pattern.compile("^base_model\\.model\\.(.+)\\.lora_([AB])\\.weight$");

    /** One adapted layer: A (r x d_in) and B (d_out x r). */
    public record Lora(Tensor a, Tensor b) {}

    private final int rank;
    private final double loraAlpha;
    private final Map<String, Lora> modules;

    private PeftAdapter(int rank, double loraAlpha, Map<String, Lora> modules) {
        this.rank = rank;
        this.loraAlpha = loraAlpha;
        this.modules = modules;
    }

    /** r. */
    public int rank() {
        return rank;
    }

    /** PEFT's lora_alpha. */
    public double loraAlpha() {
        return loraAlpha;
    }

    /** PEFT's scaling of the update, lora_alpha / r. */
    public double scaling() {
        return loraAlpha / rank;
    }

    /** The adapted layers by our module name, in the adapter's order. */
    public Map<String, Lora> modules() {
        return java.util.Collections.unmodifiableMap(modules);
    }

    /**
     * The merged experts of a task as an adapter, from the task's LoRA state ({@link LoraState}: {@code <module>.lora_A},
     * {@code .lora_B}, {@code .merged_experts}) and the update's scaling s (DAC's alpha / rank).
     */
    public static PeftAdapter ofMergedExperts(Map<String, Tensor> loraState, double scaling, String source) {
        Map<String, Lora> modules = new LinkedHashMap<>();
        int rank = -1;
        for (Map.Entry<String, Tensor> e : loraState.entrySet()) {
            if (!e.getKey().endsWith(".merged_experts")) {
                continue;
            }
            String module = e.getKey().substring(0, e.getKey().length() - ".merged_experts".length());
            long[] experts = e.getValue().toLongs();
            Tensor a = required(loraState, module + ".lora_A", source);
            Tensor b = required(loraState, module + ".lora_B", source);
            if (rank >= 0 && experts.length != rank) {
                throw new CheckpointException(source + ": '" + e.getKey() + "' lists " + experts.length + " experts, other modules "
                        + rank + "; one adapter has one rank");
            }
            rank = experts.length;
            modules.put(module, new Lora(rows(a, experts, source, module + ".lora_A"), columns(b, experts, source, module + ".lora_B")));
        }
        if (modules.isEmpty()) {
            throw new CheckpointException(source + ": no '<module>.merged_experts' entry: not a task's LoRA state");
        }
        return new PeftAdapter(rank, scaling * rank, modules);
    }

    /** Reads a PEFT LoRA adapter directory; what this class cannot apply exactly (DoRA, rsLoRA, per-layer ranks, biases) is refused. */
    public static PeftAdapter read(Path dir) {
        Path configFile = dir.resolve(CONFIG);
        JsonNode c;
        try {
            c = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new CheckpointException(configFile + ": cannot read: " + e.getMessage(), e);
        }
        String where = configFile.toString();
        if (!"LORA".equals(c.path("peft_type").asText())) {
            throw new CheckpointException(where + ": peft_type is '" + c.path("peft_type").asText() + "', expected LORA");
        }
        refuseIf(c.path("use_dora").asBoolean(false), where, "use_dora", "DoRA");
        refuseIf(c.path("use_rslora").asBoolean(false), where, "use_rslora", "rank-stabilised scaling");
        refuseIf(c.path("fan_in_fan_out").asBoolean(false), where, "fan_in_fan_out", "transposed weights");
        refuseIf(!c.path("bias").asText("none").equals("none"), where, "bias", "trained biases");
        refuseIf(c.path("rank_pattern").size() > 0, where, "rank_pattern", "per-layer ranks");
        refuseIf(c.path("alpha_pattern").size() > 0, where, "alpha_pattern", "per-layer alphas");
        if (!c.path("r").canConvertToInt() || c.path("r").asInt() <= 0 || !c.path("lora_alpha").isNumber()) {
            throw new CheckpointException(where + ": needs a positive integer 'r' and a number 'lora_alpha'");
        }
        int rank = c.get("r").asInt();
        Path weights = dir.resolve(WEIGHTS);
        Map<String, Tensor[]> pairs = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : SafeTensors.readAll(weights).entrySet()) {
            var m = KEY.matcher(e.getKey());
            String module = m.matches() ? KeyNaming.internalBlockName(m.group(1)) : null;
            if (module == null) {
                throw new CheckpointException(weights + ": '" + e.getKey() + "' is no LoRA weight of a CLIPModel block layer "
                        + "(base_model.model.<vision_model|text_model>.encoder.layers.N.<layer>.lora_A|lora_B.weight)");
            }
            pairs.computeIfAbsent(module, k -> new Tensor[2])[m.group(2).equals("A") ? 0 : 1] = e.getValue();
        }
        Map<String, Lora> modules = new LinkedHashMap<>();
        pairs.forEach((module, ab) -> {
            String hf = PREFIX + KeyNaming.huggingFaceBlockName(module);
            if (ab[0] == null || ab[1] == null) {
                throw new CheckpointException(weights + ": " + hf + " has lora_" + (ab[0] == null ? "B" : "A") + " but no lora_"
                        + (ab[0] == null ? "A" : "B"));
            }
            if (ab[0].shape().length != 2 || ab[1].shape().length != 2 || ab[0].shape()[0] != rank || ab[1].shape()[1] != rank) {
                throw new CheckpointException(weights + ": " + hf + ": lora_A " + Arrays.toString(ab[0].shape()) + " and lora_B "
                        + Arrays.toString(ab[1].shape()) + " do not have rank r = " + rank + " (A: r x d_in, B: d_out x r)");
            }
            modules.put(module, new Lora(ab[0], ab[1]));
        });
        if (modules.isEmpty()) {
            throw new CheckpointException(weights + ": no LoRA weights");
        }
        return new PeftAdapter(rank, c.get("lora_alpha").asDouble(), modules);
    }

    /**
     * Writes the adapter as {@code PeftModel.save_pretrained} does: weights with metadata {@code format = pt}, and its
     * config for PEFT's {@code LoraConfig} over a {@code CLIPModel} of architecture {@code model} ({@code
     * base_model_name_or_path}: the model it applies to; null when it has none to name). {@code readme} becomes the directory's {@code README.md}.
     */
    public void write(Path dir, ClipConfig model, String baseModelNameOrPath, String readme) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        modules.forEach((module, l) -> {
            String hf = PREFIX + KeyNaming.huggingFaceBlockName(module);
            tensors.put(hf + ".lora_A.weight", l.a());
            tensors.put(hf + ".lora_B.weight", l.b());
        });
        SafeTensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        HuggingFaceDirectory.writeJson(dir.resolve(CONFIG), config(model, baseModelNameOrPath));
        HuggingFaceDirectory.writeText(dir.resolve("README.md"), readme);
    }

    /** adapter_config.json: PEFT's LoraConfig fields for this adapter (PEFT's defaults for the rest). */
    private ObjectNode config(ClipConfig model, String baseModelNameOrPath) {
        ObjectNode c = JSON.createObjectNode();
        c.set("alpha_pattern", JSON.createObjectNode());
        ObjectNode auto = c.putObject("auto_mapping");
        auto.put("base_model_class", "CLIPModel");
        auto.put("parent_library", "transformers.models.clip.modeling_clip");
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_pattern");
        c.putNull("layers_to_transform");
        c.put("lora_alpha", loraAlpha);
        c.put("lora_dropout", 0.0);
        c.putNull("modules_to_save");
        c.put("peft_type", "LORA");
        c.put("r", rank);
        c.set("rank_pattern", JSON.createObjectNode());
        c.putNull("revision");
        c.set("target_modules", targetModules(model));
        c.putNull("task_type");
        c.put("use_dora", false);
        c.put("use_rslora", false);
        return c;
    }

    /**
     * PEFT's {@code target_modules}: the layers' own names (q_proj, ..., fc2) when they are adapted in every block of
     * both towers of {@code model}, as PEFT matches a list by the name's last part; else a regular expression of
     * exactly the adapted modules (PEFT matches a string in full), so that no layer without weights here gets a LoRA.
     */
    private JsonNode targetModules(ClipConfig model) {
        Set<String> adapted = new TreeSet<>();
        Set<String> layers = new LinkedHashSet<>(); // block-relative: attn.q_proj, mlp.c_fc, ...
        for (String module : modules.keySet()) {
            adapted.add(KeyNaming.huggingFaceBlockName(module));
            layers.add(module.replaceFirst("^(visual\\.)?transformer\\.resblocks\\.\\d+\\.", ""));
        }
        Set<String> everyBlock = new TreeSet<>();
        for (String layer : layers) {
            for (int i = 0; i < model.visionLayers(); i++) {
                everyBlock.add(KeyNaming.huggingFaceBlockName("visual.transformer.resblocks." + i + "." + layer));
            }
            for (int i = 0; i < model.transformerLayers(); i++) {
                everyBlock.add(KeyNaming.huggingFaceBlockName("transformer.resblocks." + i + "." + layer));
            }
        }
        if (everyBlock.equals(adapted)) {
            ArrayNode list = JSON.createArrayNode();
            adapted.stream().map(m -> m.substring(m.lastIndexOf('.') + 1)).distinct().forEach(list::add);
            return list;
        }
        List<String> alternatives = new ArrayList<>(); // module names are letters, digits, '_' and '.': only '.' needs escaping
        adapted.forEach(m -> alternatives.add(m.replace(".", "\\.")));
        return JSON.getNodeFactory().textNode("^(" + String.join("|", alternatives) + ")$");
    }

    /**
     * Folds the adapter into the model's weights: {@code W += (lora_alpha / r) B A} for every adapted layer (in fp32,
     * as {@code merge_and_unload}). Fails, before changing anything, naming the layers the model lacks or whose shapes differ.
     */
    public void applyTo(ClipModel model) {
        Map<String, Module> layers = model.namedModules();
        List<String> problems = new ArrayList<>();
        modules.forEach((module, l) -> {
            if (!(layers.get(module) instanceof Linear linear)) {
                problems.add(module + ": no such linear layer");
            } else if (linear.outFeatures() != l.b().shape()[0] || linear.inFeatures() != l.a().shape()[1]) {
                problems.add(module + ": B A is " + l.b().shape()[0] + " x " + l.a().shape()[1] + ", the layer's weight "
                        + linear.outFeatures() + " x " + linear.inFeatures());
            }
        });
        if (!problems.isEmpty()) {
            throw new CheckpointException("the adapter does not fit " + model.config() + ":\n  " + String.join("\n  ", problems));
        }
        modules.forEach((module, l) -> {
            Linear linear = (Linear) layers.get(module);
            NDManager m = linear.weight.array().getManager();
            try (NDScope scope = new NDScope()) {
                NDArray update = Tensors.mul(TensorArrays.toNDArray(l.b(), m).matMul(TensorArrays.toNDArray(l.a(), m)), (float) scaling());
                linear.weight.set(linear.weight.array().add(update));
            }
        });
    }

    private static Tensor required(Map<String, Tensor> state, String key, String source) {
        Tensor t = state.get(key);
        if (t == null) {
            throw new CheckpointException(source + ": no '" + key + "'");
        }
        return t;
    }

    private static void refuseIf(boolean bad, String where, String key, String what) {
        if (bad) {
            throw new CheckpointException(where + ": '" + key + "' (" + what + ") is not supported");
        }
    }

    /** Rows {@code experts} of a matrix (r x d): (k x d). */
    private static Tensor rows(Tensor t, long[] experts, String source, String key) {
        long[] s = matrix(t, source, key);
        float[] v = t.toFloats();
        int d = (int) s[1];
        float[] out = new float[experts.length * d];
        for (int i = 0; i < experts.length; i++) {
            checkExpert(experts[i], s[0], source, key);
            System.arraycopy(v, (int) experts[i] * d, out, i * d, d);
        }
        return Tensor.ofFloats(new long[] {experts.length, d}, out);
    }

    /** Columns {@code experts} of a matrix (d x r): (d x k). */
    private static Tensor columns(Tensor t, long[] experts, String source, String key) {
        long[] s = matrix(t, source, key);
        float[] v = t.toFloats();
        int d = (int) s[0];
        int r = (int) s[1];
        float[] out = new float[d * experts.length];
        for (int j = 0; j < experts.length; j++) {
            checkExpert(experts[j], r, source, key);
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < experts.length; j++) {
                out[i * experts.length + j] = v[i * r + (int) experts[j]];
            }
        }
        return Tensor.ofFloats(new long[] {d, experts.length}, out);
    }

    private static long[] matrix(Tensor t, String source, String key) {
        if (t.shape().length != 2) {
            throw new CheckpointException(source + ": '" + key + "' should be a matrix, has shape " + Arrays.toString(t.shape()));
        }
        return t.shape();
    }

    private static void checkExpert(long e, long rank, String source, String key) {
        if (e < 0 || e >= rank) {
            throw new CheckpointException(source + ": merged expert " + e + " is outside the " + rank + " experts of '" + key + "'");
        }
    }
}
