package dev.dacspark.clip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The architecture of a CLIP, in the terms of OpenAI's {@code build_model} (embed_dim,
 * image_resolution, vision_layers, vision_width, vision_patch_size, context_length, vocab_size,
 * transformer_width, transformer_heads, transformer_layers) plus the vision heads, which OpenAI
 * derives as vision_width / 64, and the model's image preprocessing ({@link ImagePreprocessing};
 * OpenAI's {@link ImagePreprocessing#CLIP} unless a config or checkpoint says otherwise).
 */
public record ClipConfig(
        int embedDim,
        int imageResolution,
        int visionLayers,
        int visionWidth,
        int visionPatchSize,
        int visionHeads,
        int contextLength,
        int vocabSize,
        int transformerWidth,
        int transformerHeads,
        int transformerLayers,
        ImagePreprocessing preprocessing) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The HOCON keys of an architecture given by its numbers (besides {@code name}). */
    private static final java.util.Set<String> HOCON_KEYS = java.util.Set.of("embed_dim", "image_resolution", "vision_layers",
            "vision_width", "vision_patch_size", "vision_heads", "context_length", "vocab_size", "transformer_width",
            "transformer_heads", "transformer_layers", "preprocessing");

    public ClipConfig {
        java.util.Objects.requireNonNull(preprocessing, "preprocessing");
        check(embedDim > 0, "embed_dim", embedDim);
        check(visionPatchSize > 0 && imageResolution > 0 && imageResolution % visionPatchSize == 0,
                "image_resolution", imageResolution + " (must be a positive multiple of vision_patch_size " + visionPatchSize + ")");
        check(visionLayers > 0, "vision_layers", visionLayers);
        check(visionHeads > 0 && visionWidth > 0 && visionWidth % visionHeads == 0,
                "vision_width", visionWidth + " (must be divisible by vision_heads " + visionHeads + ")");
        check(contextLength > 0, "context_length", contextLength);
        check(vocabSize > 0, "vocab_size", vocabSize);
        check(transformerHeads > 0 && transformerWidth > 0 && transformerWidth % transformerHeads == 0,
                "transformer_width", transformerWidth + " (must be divisible by transformer_heads " + transformerHeads + ")");
        check(transformerLayers > 0, "transformer_layers", transformerLayers);
    }

    /** An architecture with OpenAI CLIP's preprocessing. */
    public ClipConfig(int embedDim, int imageResolution, int visionLayers, int visionWidth, int visionPatchSize,
            int visionHeads, int contextLength, int vocabSize, int transformerWidth, int transformerHeads,
            int transformerLayers) {
        this(embedDim, imageResolution, visionLayers, visionWidth, visionPatchSize, visionHeads, contextLength, vocabSize,
                transformerWidth, transformerHeads, transformerLayers, ImagePreprocessing.CLIP);
    }

    /** This architecture with other preprocessing. */
    public ClipConfig withPreprocessing(ImagePreprocessing p) {
        return new ClipConfig(embedDim, imageResolution, visionLayers, visionWidth, visionPatchSize, visionHeads, contextLength,
                vocabSize, transformerWidth, transformerHeads, transformerLayers, p);
    }

    private static void check(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid CLIP config: " + key + " = " + value);
        }
    }

    /** OpenAI's published architectures. */
    public static final Map<String, ClipConfig> NAMED = Map.of(
            "ViT-B/32", openai(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12),
            "ViT-B/16", openai(512, 224, 12, 768, 16, 77, 49408, 512, 8, 12),
            "ViT-L/14", openai(768, 224, 24, 1024, 14, 77, 49408, 768, 12, 12),
            "ViT-L/14@336px", openai(768, 336, 24, 1024, 14, 77, 49408, 768, 12, 12));

    /** A config with OpenAI's arguments; vision heads = vision_width / 64 as in {@code build_model}. */
    public static ClipConfig openai(int embedDim, int imageResolution, int visionLayers, int visionWidth,
            int visionPatchSize, int contextLength, int vocabSize, int transformerWidth, int transformerHeads,
            int transformerLayers) {
        return new ClipConfig(embedDim, imageResolution, visionLayers, visionWidth, visionPatchSize,
                Math.max(1, visionWidth / 64), contextLength, vocabSize, transformerWidth, transformerHeads,
                transformerLayers);
    }

    /** A named architecture, e.g. {@code ViT-B/16}; fails listing the known names. */
    public static ClipConfig named(String name) {
        ClipConfig c = NAMED.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown model name '" + name + "'; known: " + String.join(", ", new java.util.TreeSet<>(NAMED.keySet())));
        }
        return c;
    }

    /**
     * Parses OpenAI-style JSON (the {@code config} entry of our safetensors metadata); its optional
     * {@code preprocessing} object defaults to {@link ImagePreprocessing#CLIP}.
     */
    public static ClipConfig fromOpenAiJson(String json, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": model config is not JSON: " + e.getMessage(), e);
        }
        int visionWidth = req(n, "vision_width", source);
        return new ClipConfig(req(n, "embed_dim", source), req(n, "image_resolution", source),
                req(n, "vision_layers", source), visionWidth, req(n, "vision_patch_size", source),
                n.has("vision_heads") ? req(n, "vision_heads", source) : Math.max(1, visionWidth / 64),
                req(n, "context_length", source), req(n, "vocab_size", source),
                req(n, "transformer_width", source), req(n, "transformer_heads", source),
                req(n, "transformer_layers", source),
                n.has("preprocessing") ? ImagePreprocessing.fromJson(n.get("preprocessing"), source) : ImagePreprocessing.CLIP);
    }

    /** Parses a Hugging Face {@code CLIPModel} {@code config.json}. */
    public static ClipConfig fromHuggingFaceJson(String json, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not JSON: " + e.getMessage(), e);
        }
        JsonNode v = n.get("vision_config");
        JsonNode t = n.get("text_config");
        if (v == null || t == null) {
            throw new IllegalArgumentException(source + ": a CLIPModel config.json needs vision_config and text_config");
        }
        String act = t.path("hidden_act").asText("quick_gelu");
        if (!act.equals("quick_gelu") || !v.path("hidden_act").asText("quick_gelu").equals("quick_gelu")) {
            throw new IllegalArgumentException(source + ": hidden_act '" + act + "' is not supported (CLIP uses quick_gelu)");
        }
        return new ClipConfig(req(n, "projection_dim", source), req(v, "image_size", source + " vision_config"),
                req(v, "num_hidden_layers", source + " vision_config"), req(v, "hidden_size", source + " vision_config"),
                req(v, "patch_size", source + " vision_config"), req(v, "num_attention_heads", source + " vision_config"),
                req(t, "max_position_embeddings", source + " text_config"), req(t, "vocab_size", source + " text_config"),
                req(t, "hidden_size", source + " text_config"), req(t, "num_attention_heads", source + " text_config"),
                req(t, "num_hidden_layers", source + " text_config"));
    }

    private static int req(JsonNode n, String key, String source) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw new IllegalArgumentException(source + ": model config needs an integer '" + key + "'");
        }
        return v.asInt();
    }

    /**
     * Reads a config from HOCON: either {@code name = "ViT-B/16"} or the OpenAI keys
     * (embed_dim, image_resolution, ...), and optionally a {@code preprocessing} block
     * ({@link ImagePreprocessing#fromHocon}). Errors name the key and the origin (file and line);
     * unknown keys are refused.
     */
    public static ClipConfig fromHocon(Config c) {
        boolean named = c.hasPath("name");
        for (String key : c.root().keySet()) {
            if (named ? !key.equals("name") && !key.equals("preprocessing") : !HOCON_KEYS.contains(key)) {
                throw new IllegalArgumentException(c.getValue(key).origin().description() + ": unknown model key '" + key + "'"
                        + (named ? " (a named model takes only name and preprocessing)" : "; known: name, " + new java.util.TreeSet<>(HOCON_KEYS)));
            }
        }
        try {
            ImagePreprocessing p = c.hasPath("preprocessing") ? ImagePreprocessing.fromHocon(c.getConfig("preprocessing"))
                    : ImagePreprocessing.CLIP;
            if (named) {
                return named(c.getString("name")).withPreprocessing(p);
            }
            int visionWidth = c.getInt("vision_width");
            return new ClipConfig(c.getInt("embed_dim"), c.getInt("image_resolution"), c.getInt("vision_layers"),
                    visionWidth, c.getInt("vision_patch_size"),
                    c.hasPath("vision_heads") ? c.getInt("vision_heads") : Math.max(1, visionWidth / 64),
                    c.getInt("context_length"), c.getInt("vocab_size"), c.getInt("transformer_width"),
                    c.getInt("transformer_heads"), c.getInt("transformer_layers"), p);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("model config: " + e.getMessage(), e);
        }
    }

    /** This config as OpenAI-style JSON (what we write into checkpoint metadata). */
    public String toOpenAiJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("embed_dim", embedDim);
        n.put("image_resolution", imageResolution);
        n.put("vision_layers", visionLayers);
        n.put("vision_width", visionWidth);
        n.put("vision_patch_size", visionPatchSize);
        n.put("vision_heads", visionHeads);
        n.put("context_length", contextLength);
        n.put("vocab_size", vocabSize);
        n.put("transformer_width", transformerWidth);
        n.put("transformer_heads", transformerHeads);
        n.put("transformer_layers", transformerLayers);
        n.set("preprocessing", preprocessing.toJson());
        return n.toString();
    }

    /** Human-readable description, one key a line. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embed_dim", embedDim);
        m.put("image_resolution", imageResolution);
        m.put("vision_layers", visionLayers);
        m.put("vision_width", visionWidth);
        m.put("vision_patch_size", visionPatchSize);
        m.put("vision_heads", visionHeads);
        m.put("context_length", contextLength);
        m.put("vocab_size", vocabSize);
        m.put("transformer_width", transformerWidth);
        m.put("transformer_heads", transformerHeads);
        m.put("transformer_layers", transformerLayers);
        m.put("preprocessing", preprocessing);
        return m;
    }

    public int gridSize() {
        return imageResolution / visionPatchSize;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CLIP(embed %d; vision %dpx/%d, %d x %d, %d heads; text ctx %d, vocab %d, %d x %d, %d heads%s)",
                embedDim, imageResolution, visionPatchSize, visionLayers, visionWidth, visionHeads, contextLength,
                vocabSize, transformerLayers, transformerWidth, transformerHeads,
                preprocessing.equals(ImagePreprocessing.CLIP) ? "" : "; " + preprocessing);
    }
}
