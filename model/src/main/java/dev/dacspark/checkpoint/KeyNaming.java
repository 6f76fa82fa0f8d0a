package dev.dacspark.checkpoint;

import dev.dacspark.checkpoint.ClipCheckpoint.Format;
import dev.dacspark.checkpoint.SafeTensors.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two key namings of a CLIP checkpoint, OpenAI / open_clip and Hugging Face {@code CLIPModel},
 * mapped to and from our internal names: OpenAI's with attention split as the DAC release splits it
 * ({@code attn.in_proj_weight} (3D x D) becomes {@code attn.q_proj/k_proj/v_proj.weight}, {@code
 * attn.out_proj} becomes {@code attn.proj}). Hugging Face's projections are stored transposed.
 */
final class KeyNaming {

    /** Entries that are not weights and are ignored when present. */
    private static final Set<String> IGNORED = Set.of("input_resolution", "context_length", "vocab_size");
    private static final Pattern HF_BLOCK = Pattern.compile("^(vision|text)_model\\.encoder\\.layers\\.(\\d+)\\.(.+)$");
    private static final Pattern OA_BLOCK = Pattern.compile("^(visual\\.)?transformer\\.resblocks\\.(\\d+)\\.(.+)$");

    private KeyNaming() {}

    /** The naming of a checkpoint's keys. */
    static Format detect(Set<String> keys, String source) {
        boolean hf = keys.stream().anyMatch(k -> k.startsWith("vision_model.") || k.startsWith("text_model."));
        boolean oa = keys.stream().anyMatch(k -> k.startsWith("visual.") || k.startsWith("transformer.resblocks."));
        if (hf == oa) {
            throw new CheckpointException(source + ": cannot tell the key naming: expected OpenAI names (visual.*, "
                    + "transformer.resblocks.*) or Hugging Face CLIPModel names (vision_model.*, text_model.*)"
                    + (hf ? ", found both" : ", found neither"));
        }
        return hf ? Format.HUGGINGFACE : Format.OPENAI;
    }

    /** A checkpoint's tensors under {@code format}'s names -> internal names (unknown keys kept as {@code hf:<key>} or as they are). */
    static Map<String, Tensor> toInternal(Format format, Map<String, Tensor> raw, String source) {
        return format == Format.OPENAI ? fromOpenAi(raw, source) : fromHuggingFace(raw, source);
    }

    /** Tensors under internal names -> {@code format}'s names. */
    static Map<String, Tensor> fromInternal(Format format, Map<String, Tensor> internal) {
        return format == Format.OPENAI ? toOpenAi(internal) : toHuggingFace(internal);
    }

    /** OpenAI names -> internal names: split in_proj into q/k/v; out_proj -> proj. */
    private static Map<String, Tensor> fromOpenAi(Map<String, Tensor> raw, String source) {
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
    private static Map<String, Tensor> fromHuggingFace(Map<String, Tensor> raw, String source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            if (k.endsWith("position_ids")) {
                continue;
            }
            if (HF_BLOCK.matcher(k).matches()) {
                String module = internalBlockName(stripParam(k));
                out.put(module == null ? "hf:" + k : module + paramSuffix(k), t);
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

    /**
     * The Hugging Face {@code CLIPModel} name of a module inside a transformer block, from ours: {@code
     * visual.transformer.resblocks.0.attn.q_proj} -> {@code vision_model.encoder.layers.0.self_attn.q_proj}, {@code
     * transformer.resblocks.1.mlp.c_fc} -> {@code text_model.encoder.layers.1.mlp.fc1}.
     */
    static String huggingFaceBlockName(String internal) {
        Matcher m = OA_BLOCK.matcher(internal);
        String hf = m.matches() ? OA_TO_HF_BLOCK.get(m.group(3)) : null;
        if (hf == null) {
            throw new IllegalArgumentException("'" + internal + "' is no module of a transformer block (one of "
                    + new java.util.TreeSet<>(OA_TO_HF_BLOCK.keySet()) + " in visual.transformer.resblocks.N or transformer.resblocks.N)");
        }
        return (m.group(1) == null ? "text_model" : "vision_model") + ".encoder.layers." + m.group(2) + "." + hf;
    }

    /** Our name of a Hugging Face block module ({@link #huggingFaceBlockName} reversed); null for a name that is none. */
    static String internalBlockName(String hf) {
        Matcher m = HF_BLOCK.matcher(hf);
        String oa = m.matches() ? HF_TO_OA_BLOCK.get(m.group(3)) : null;
        return oa == null ? null : (m.group(1).equals("vision") ? "visual." : "") + "transformer.resblocks." + m.group(2) + "." + oa;
    }

    private static final Map<String, String> OA_TO_HF_BLOCK = new LinkedHashMap<>();

    static {
        HF_TO_OA_BLOCK.forEach((hf, oa) -> OA_TO_HF_BLOCK.put(oa, hf));
    }

    private static String stripParam(String rest) {
        int dot = rest.lastIndexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private static String paramSuffix(String rest) {
        int dot = rest.lastIndexOf('.');
        return dot < 0 ? "" : rest.substring(dot);
    }

    /** Internal names -> OpenAI names: q/k/v concatenated back into in_proj; proj -> out_proj. */
    private static Map<String, Tensor> toOpenAi(Map<String, Tensor> internal) {
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
    private static Map<String, Tensor> toHuggingFace(Map<String, Tensor> internal) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : internal.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            if (OA_BLOCK.matcher(k).matches()) {
                out.put(huggingFaceBlockName(stripParam(k)) + paramSuffix(k), t);
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
            out[i] = like(t, Tensor.ofFloats(shape, Arrays.copyOfRange(v, i * chunk, (i + 1) * chunk)));
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
        return like(ts[0], Tensor.ofFloats(shape, out));
    }

    /** A rearranged float32 tensor in its source's half dtype, if it has one: renaming keeps a checkpoint's dtypes. */
    private static Tensor like(Tensor source, Tensor rearranged) {
        return source.half() ? rearranged.as(source.dtype()) : rearranged;
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
        return like(t, Tensor.ofFloats(new long[] {c, r}, o));
    }
}
