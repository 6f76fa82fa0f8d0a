package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Param;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads and saves a {@link ClipModel} as safetensors, under OpenAI / open_clip key names or Hugging
 * Face {@code CLIPModel} key names (detected automatically), single files or HF sharded checkpoints
 * ({@code model.safetensors.index.json}); F16/BF16/F64 weights are upcast to fp32.
 *
 * <p>Our internal names are OpenAI's with attention split as the DAC release splits it: OpenAI's
 * {@code attn.in_proj_weight} (3D x D) becomes {@code attn.q_proj/k_proj/v_proj.weight} and {@code
 * attn.out_proj} becomes {@code attn.proj}.
 *
 * <p>The architecture comes from, in order: the {@code config} entry of the safetensors metadata
 * (OpenAI argument names), a Hugging Face {@code config.json} beside the weights, or the tensor
 * shapes (as OpenAI's {@code build_model}: heads = width / 64 on both towers).
 */
public final class ClipCheckpoint {

    /** Key naming of a checkpoint. */
    public enum Format {
        OPENAI, HUGGINGFACE;

        public static Format parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "openai", "open_clip", "openclip" -> OPENAI;
                case "hf", "huggingface", "hugging-face" -> HUGGINGFACE;
                default -> throw new IllegalArgumentException("unknown checkpoint format '" + s + "' (openai or huggingface)");
            };
        }
    }

    /** Entries that are not weights and are ignored when present. */
    private static final Set<String> IGNORED = Set.of("input_resolution", "context_length", "vocab_size");
    private static final Pattern HF_BLOCK = Pattern.compile("^(vision|text)_model\\.encoder\\.layers\\.(\\d+)\\.(.+)$");
    private static final Pattern OA_BLOCK = Pattern.compile("^(visual\\.)?transformer\\.resblocks\\.(\\d+)\\.(.+)$");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClipCheckpoint() {}

    /** A loaded checkpoint: tensors under internal names, the config, and where it came from. */
    public record Loaded(ClipConfig config, Format format, Map<String, Tensor> tensors, String source) {}

    /** Loads a CLIP from a safetensors file or a directory (Hugging Face layout) onto {@code manager}. */
    public static ClipModel load(Path path, NDManager manager) {
        Loaded l = read(path);
        ClipModel model = new ClipModel(l.config());
        assign(model, l.tensors(), l.source(), manager);
        return model;
    }

    /** Reads a checkpoint into internal names and resolves its config, without building a model. */
    public static Loaded read(Path path) {
        List<Path> files = weightFiles(path);
        Map<String, Tensor> raw = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Path f : files) {
            try (SafeTensors.Reader r = SafeTensors.open(f)) {
                metadata.putAll(r.metadata());
                for (String name : r.entries().keySet()) {
                    raw.put(name, r.read(name));
                }
            }
        }
        String source = files.size() == 1 ? files.get(0).toString() : path.toString();
        Format format = detectFormat(raw.keySet(), source);
        Map<String, Tensor> internal = format == Format.OPENAI ? fromOpenAi(raw, source) : fromHuggingFace(raw, source);
        ClipConfig config = resolveConfig(path, metadata, internal, source);
        return new Loaded(config, format, internal, source);
    }

    /** The safetensors files of a checkpoint path: the file itself, or a directory's model file(s). */
    static List<Path> weightFiles(Path path) {
        if (!Files.exists(path)) {
            throw new CheckpointException(path + ": no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        Path index = path.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            try {
                JsonNode map = JSON.readTree(index.toFile()).get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new CheckpointException(index + ": no weight_map object");
                }
                Set<String> shards = new LinkedHashSet<>();
                map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
                List<Path> out = new ArrayList<>();
                for (String s : shards) {
                    Path shard = path.resolve(s);
                    if (!Files.exists(shard)) {
                        throw new CheckpointException(index + ": lists shard '" + s + "', which is missing");
                    }
                    out.add(shard);
                }
                return out;
            } catch (IOException e) {
                throw new CheckpointException(index + ": cannot read: " + e.getMessage(), e);
            }
        }
        for (String name : List.of("model.safetensors", "open_clip_model.safetensors")) {
            if (Files.exists(path.resolve(name))) {
                return List.of(path.resolve(name));
            }
        }
        throw new CheckpointException(path + ": no model.safetensors, model.safetensors.index.json or open_clip_model.safetensors in this directory");
    }

    static Format detectFormat(Set<String> keys, String source) {
        boolean hf = keys.stream().anyMatch(k -> k.startsWith("vision_model.") || k.startsWith("text_model."));
        boolean oa = keys.stream().anyMatch(k -> k.startsWith("visual.") || k.startsWith("transformer.resblocks."));
        if (hf == oa) {
            throw new CheckpointException(source + ": cannot tell the key naming: expected OpenAI names (visual.*, "
                    + "transformer.resblocks.*) or Hugging Face CLIPModel names (vision_model.*, text_model.*)"
                    + (hf ? ", found both" : ", found neither"));
        }
        return hf ? Format.HUGGINGFACE : Format.OPENAI;
    }

    /** OpenAI names -> internal names: split in_proj into q/k/v; out_proj -> proj. */
    static Map<String, Tensor> fromOpenAi(Map<String, Tensor> raw, String source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            if (IGNORED.contains(k)) {
                continue;
            }
            Matcher m = OA_BLOCK.matcher(k);
            if (m.matches()) {
                String prefix = k.substring(0, k.length() - m.group(3).length());
                String rest = m.group(3);
                if (rest.equals("attn.in_proj_weight") || rest.equals("attn.in_proj_bias")) {
                    String suffix = rest.endsWith("weight") ? ".weight" : ".bias";
                    Tensor[] qkv = splitRows(t, 3, source, k);
                    out.put(prefix + "attn.q_proj" + suffix, qkv[0]);
                    out.put(prefix + "attn.k_proj" + suffix, qkv[1]);
                    out.put(prefix + "attn.v_proj" + suffix, qkv[2]);
                    continue;
                }
                if (rest.startsWith("attn.out_proj.")) {
                    out.put(prefix + "attn.proj." + rest.substring("attn.out_proj.".length()), t);
                    continue;
                }
            }
            out.put(k, t);
        }
        return out;
    }

    /** Hugging Face CLIPModel names -> internal names. */
    static Map<String, Tensor> fromHuggingFace(Map<String, Tensor> raw, String source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            if (k.endsWith("position_ids")) {
                continue;
            }
            Matcher m = HF_BLOCK.matcher(k);
            if (m.matches()) {
                String prefix = (m.group(1).equals("vision") ? "visual." : "") + "transformer.resblocks." + m.group(2) + ".";
                out.put(prefix + HF_TO_OA_BLOCK.getOrDefault(stripParam(m.group(3)), "hf:" + stripParam(m.group(3)))
                        + paramSuffix(m.group(3)), t);
                continue;
            }
            switch (k) {
                case "vision_model.embeddings.patch_embedding.weight" -> out.put("visual.conv1.weight", t);
                case "vision_model.embeddings.class_embedding" -> out.put("visual.class_embedding", t);
                case "vision_model.embeddings.position_embedding.weight" -> out.put("visual.positional_embedding", t);
                case "vision_model.pre_layrnorm.weight" -> out.put("visual.ln_pre.weight", t);
                case "vision_model.pre_layrnorm.bias" -> out.put("visual.ln_pre.bias", t);
                case "vision_model.post_layernorm.weight" -> out.put("visual.ln_post.weight", t);
                case "vision_model.post_layernorm.bias" -> out.put("visual.ln_post.bias", t);
                case "visual_projection.weight" -> out.put("visual.proj", transpose(t, source, k));
                case "text_model.embeddings.token_embedding.weight" -> out.put("token_embedding.weight", t);
                case "text_model.embeddings.position_embedding.weight" -> out.put("positional_embedding", t);
                case "text_model.final_layer_norm.weight" -> out.put("ln_final.weight", t);
                case "text_model.final_layer_norm.bias" -> out.put("ln_final.bias", t);
                case "text_projection.weight" -> out.put("text_projection", transpose(t, source, k));
                case "logit_scale" -> out.put("logit_scale", t);
                default -> out.put("hf:" + k, t); // reported as unexpected under its own name
            }
        }
        return out;
    }

    private static final Map<String, String> HF_TO_OA_BLOCK = Map.of(
            "self_attn.q_proj", "attn.q_proj",
            "self_attn.k_proj", "attn.k_proj",
            "self_attn.v_proj", "attn.v_proj",
            "self_attn.out_proj", "attn.proj",
            "layer_norm1", "ln_1",
            "layer_norm2", "ln_2",
            "mlp.fc1", "mlp.c_fc",
            "mlp.fc2", "mlp.c_proj");

    private static String stripParam(String rest) {
        int dot = rest.lastIndexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private static String paramSuffix(String rest) {
        int dot = rest.lastIndexOf('.');
        return dot < 0 ? "" : rest.substring(dot);
    }

    /** Resolves the architecture: metadata config, then config.json beside, then shapes. */
    static ClipConfig resolveConfig(Path path, Map<String, String> metadata, Map<String, Tensor> internal, String source) {
        if (metadata.containsKey("config")) {
            return ClipConfig.fromOpenAiJson(metadata.get("config"), source + " metadata 'config'");
        }
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path configJson = dir == null ? null : dir.resolve("config.json");
        if (configJson != null && Files.exists(configJson)) {
            try {
                return ClipConfig.fromHuggingFaceJson(Files.readString(configJson), configJson.toString());
            } catch (IOException e) {
                throw new CheckpointException(configJson + ": cannot read: " + e.getMessage(), e);
            }
        }
        return inferConfig(internal, source);
    }

    /** The architecture from tensor shapes, as OpenAI's {@code build_model} infers it. */
    static ClipConfig inferConfig(Map<String, Tensor> t, String source) {
        for (String k : List.of("visual.conv1.weight", "visual.positional_embedding", "text_projection",
                "positional_embedding", "token_embedding.weight", "ln_final.weight")) {
            if (!t.containsKey(k)) {
                throw new CheckpointException(source + ": no config in metadata or config.json, and the shapes cannot be read: missing '" + k + "'");
            }
        }
        long[] conv = t.get("visual.conv1.weight").shape();
        int visionWidth = (int) conv[0];
        int patch = (int) conv[conv.length - 1];
        int grid = (int) Math.round(Math.sqrt(t.get("visual.positional_embedding").shape()[0] - 1));
        int textWidth = (int) t.get("ln_final.weight").shape()[0];
        return ClipConfig.openai((int) t.get("text_projection").shape()[1], patch * grid,
                countBlocks(t.keySet(), "visual.transformer.resblocks."), visionWidth, patch,
                (int) t.get("positional_embedding").shape()[0], (int) t.get("token_embedding.weight").shape()[0],
                textWidth, Math.max(1, textWidth / 64), countBlocks(t.keySet(), "transformer.resblocks."));
    }

    private static int countBlocks(Set<String> keys, String prefix) {
        Set<String> ids = new TreeSet<>();
        for (String k : keys) {
            if (k.startsWith(prefix)) {
                ids.add(k.substring(prefix.length(), k.indexOf('.', prefix.length())));
            }
        }
        return ids.size();
    }

    /**
     * Sets the model's parameters from tensors under internal names. Fails, before setting anything,
     * with ONE message listing every missing key, unexpected key, shape mismatch and bad dtype.
     */
    public static void assign(ClipModel model, Map<String, Tensor> tensors, String source, NDManager manager) {
        Map<String, Param> params = model.namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> badType = new ArrayList<>();
        for (Map.Entry<String, Param> e : params.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape().getShape())) {
                mismatched.add(e.getKey() + ": checkpoint " + Arrays.toString(t.shape()) + ", model " + e.getValue().shape());
            } else if (!isFloat(t.dtype())) {
                badType.add(e.getKey() + ": " + t.dtype() + " (expected a floating-point type)");
            }
        }
        List<String> unexpected = tensors.keySet().stream().filter(k -> !params.containsKey(k))
                .map(k -> k.startsWith("hf:") ? k.substring(3) : k).toList();
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty() || !badType.isEmpty()) {
            StringBuilder sb = new StringBuilder(source + ": checkpoint does not fit " + model.config() + ":");
            appendList(sb, "missing keys", missing);
            appendList(sb, "unexpected keys", unexpected);
            appendList(sb, "shape mismatches", mismatched);
            appendList(sb, "wrong dtypes", badType);
            throw new CheckpointException(sb.toString());
        }
        for (Map.Entry<String, Param> e : params.entrySet()) {
            e.getValue().set(toNDArray(tensors.get(e.getKey()), manager));
        }
    }

    private static void appendList(StringBuilder sb, String what, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(what).append(" (").append(items.size()).append("):");
        items.stream().limit(20).forEach(i -> sb.append("\n    ").append(i));
        if (items.size() > 20) {
            sb.append("\n    ... and ").append(items.size() - 20).append(" more");
        }
    }

    private static boolean isFloat(SafeTensors.DType d) {
        return d == SafeTensors.DType.F32 || d == SafeTensors.DType.F16 || d == SafeTensors.DType.BF16 || d == SafeTensors.DType.F64;
    }

    /** A tensor as an fp32 NDArray. */
    public static NDArray toNDArray(Tensor t, NDManager manager) {
        return dev.dacspark.clip.Tensors.float32(manager, t.toFloats(), new Shape(t.shape()));
    }

    /** An NDArray as an fp32 tensor. */
    public static Tensor fromNDArray(NDArray a) {
        return Tensor.ofFloats(a.getShape().getShape(), a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
    }

    /** Saves the model as one safetensors file in the given naming, with its config in the metadata. */
    public static void save(ClipModel model, Path file, Format format, Map<String, String> extraMetadata) {
        SafeTensors.write(file, tensors(model, format), metadata(model, format, extraMetadata));
    }

    /** The model's weights under the names of {@code format}. */
    public static Map<String, Tensor> tensors(ClipModel model, Format format) {
        Map<String, Tensor> internal = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> internal.put(k, fromNDArray(p.array())));
        return format == Format.OPENAI ? toOpenAi(internal) : toHuggingFace(internal);
    }

    /** The metadata a saved checkpoint carries: its config (OpenAI argument names), its naming, and extras. */
    public static Map<String, String> metadata(ClipModel model, Format format, Map<String, String> extraMetadata) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("config", model.config().toOpenAiJson());
        metadata.put("format", format.name().toLowerCase(java.util.Locale.ROOT));
        if (extraMetadata != null) {
            metadata.putAll(extraMetadata);
        }
        return metadata;
    }

    /** Internal names -> OpenAI names: q/k/v concatenated back into in_proj; proj -> out_proj. */
    static Map<String, Tensor> toOpenAi(Map<String, Tensor> internal) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : internal.entrySet()) {
            String k = e.getKey();
            Matcher m = OA_BLOCK.matcher(k);
            if (m.matches()) {
                String prefix = k.substring(0, k.length() - m.group(3).length());
                String rest = m.group(3);
                if (rest.startsWith("attn.q_proj.")) {
                    String suffix = rest.substring("attn.q_proj.".length());
                    out.put(prefix + "attn.in_proj_" + suffix, concatRows(internal.get(k),
                            internal.get(prefix + "attn.k_proj." + suffix), internal.get(prefix + "attn.v_proj." + suffix)));
                    continue;
                }
                if (rest.startsWith("attn.k_proj.") || rest.startsWith("attn.v_proj.")) {
                    continue;
                }
                if (rest.startsWith("attn.proj.")) {
                    out.put(prefix + "attn.out_proj." + rest.substring("attn.proj.".length()), e.getValue());
                    continue;
                }
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    /** Internal names -> Hugging Face CLIPModel names. */
    static Map<String, Tensor> toHuggingFace(Map<String, Tensor> internal) {
        Map<String, String> blockNames = new LinkedHashMap<>();
        HF_TO_OA_BLOCK.forEach((hf, oa) -> blockNames.put(oa, hf));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : internal.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            Matcher m = OA_BLOCK.matcher(k);
            if (m.matches()) {
                String tower = m.group(1) == null ? "text_model" : "vision_model";
                String rest = m.group(3);
                out.put(tower + ".encoder.layers." + m.group(2) + "." + blockNames.get(stripParam(rest)) + paramSuffix(rest), t);
                continue;
            }
            String hf = switch (k) {
                case "visual.conv1.weight" -> "vision_model.embeddings.patch_embedding.weight";
                case "visual.class_embedding" -> "vision_model.embeddings.class_embedding";
                case "visual.positional_embedding" -> "vision_model.embeddings.position_embedding.weight";
                case "visual.ln_pre.weight" -> "vision_model.pre_layrnorm.weight";
                case "visual.ln_pre.bias" -> "vision_model.pre_layrnorm.bias";
                case "visual.ln_post.weight" -> "vision_model.post_layernorm.weight";
                case "visual.ln_post.bias" -> "vision_model.post_layernorm.bias";
                case "token_embedding.weight" -> "text_model.embeddings.token_embedding.weight";
                case "positional_embedding" -> "text_model.embeddings.position_embedding.weight";
                case "ln_final.weight" -> "text_model.final_layer_norm.weight";
                case "ln_final.bias" -> "text_model.final_layer_norm.bias";
                case "logit_scale" -> "logit_scale";
                case "visual.proj", "text_projection" -> null;
                default -> throw new IllegalStateException("no Hugging Face name for '" + k + "'");
            };
            if (hf != null) {
                out.put(hf, t);
            } else {
                out.put(k.equals("visual.proj") ? "visual_projection.weight" : "text_projection.weight", transpose(t, "model", k));
            }
        }
        return out;
    }

    private static Tensor[] splitRows(Tensor t, int parts, String source, String key) {
        if (t.shape().length == 0 || t.shape()[0] % parts != 0) {
            throw new CheckpointException(source + ": '" + key + "' of shape " + Arrays.toString(t.shape())
                    + " cannot be split into " + parts + " equal parts (q, k, v)");
        }
        float[] v = t.toFloats();
        long[] shape = t.shape().clone();
        shape[0] /= parts;
        int chunk = v.length / parts;
        Tensor[] out = new Tensor[parts];
        for (int i = 0; i < parts; i++) {
            out[i] = Tensor.ofFloats(shape, Arrays.copyOfRange(v, i * chunk, (i + 1) * chunk));
        }
        return out;
    }

    private static Tensor concatRows(Tensor... ts) {
        long[] shape = ts[0].shape().clone();
        shape[0] *= ts.length;
        float[] out = new float[Math.toIntExact(ts[0].numel() * ts.length)];
        int off = 0;
        for (Tensor t : ts) {
            float[] v = t.toFloats();
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
        return Tensor.ofFloats(shape, out);
    }

    private static Tensor transpose(Tensor t, String source, String key) {
        if (t.shape().length != 2) {
            throw new CheckpointException(source + ": '" + key + "' should be a matrix, has shape " + Arrays.toString(t.shape()));
        }
        int r = (int) t.shape()[0];
        int c = (int) t.shape()[1];
        float[] v = t.toFloats();
        float[] o = new float[v.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                o[j * r + i] = v[i * c + j];
            }
        }
        return Tensor.ofFloats(new long[] {c, r}, o);
    }
}
