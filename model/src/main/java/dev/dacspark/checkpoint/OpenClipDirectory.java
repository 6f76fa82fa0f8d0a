package dev.dacspark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;

import java.nio.file.Path;
import java.util.Map;

/**
 * A CLIP as an open_clip model directory, what {@code open_clip.create_model_and_transforms("local-dir:DIR")} loads:
 * {@code open_clip_model.safetensors} (OpenAI / open_clip names, our config in the metadata, as {@link
 * ClipCheckpoint#save} writes) and {@code open_clip_config.json} ({@code model_cfg} with QuickGELU, {@code
 * preprocess_cfg}: the model's mean and std, bicubic resize of the shorter side and centre crop). open_clip tokenizes
 * with CLIP's own BPE; a model trained with another tokenizer needs that tokenizer (the run's {@code tokenizer.json}).
 */
public final class OpenClipDirectory {
    /** The weights file open_clip looks for first in a directory (our loader reads it too). */
    public static final String WEIGHTS = "open_clip_model.safetensors";

    private OpenClipDirectory() {}

    /** Writes {@code model} into {@code dir} (created), {@code metadata} added to the weights' metadata; returns the weights file. */
    public static Path write(ClipModel model, Path dir, Map<String, String> metadata) {
        Path weights = dir.resolve(WEIGHTS);
        ClipCheckpoint.save(model, weights, ClipCheckpoint.Format.OPENAI, metadata);
        HuggingFaceDirectory.writeJson(dir.resolve("open_clip_config.json"), configJson(model.config()));
        return weights;
    }

    /** {@code open_clip_config.json} for the architecture. */
    static ObjectNode configJson(ClipConfig c) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode model = root.putObject("model_cfg");
        model.put("embed_dim", c.embedDim());
        model.put("quick_gelu", true);
        ObjectNode vision = model.putObject("vision_cfg");
        vision.put("image_size", c.imageResolution());
        vision.put("layers", c.visionLayers());
        vision.put("width", c.visionWidth());
        vision.put("head_width", c.visionWidth() / c.visionHeads());
        vision.put("patch_size", c.visionPatchSize());
        ObjectNode text = model.putObject("text_cfg");
        text.put("context_length", c.contextLength());
        text.put("vocab_size", c.vocabSize());
        text.put("width", c.transformerWidth());
        text.put("heads", c.transformerHeads());
        text.put("layers", c.transformerLayers());
        ObjectNode pre = root.putObject("preprocess_cfg");
        ArrayNode mean = pre.putArray("mean");
        c.preprocessing().mean().forEach(mean::add);
        ArrayNode std = pre.putArray("std");
        c.preprocessing().std().forEach(std::add);
        pre.put("interpolation", "bicubic");
        pre.put("resize_mode", "shortest");
        pre.put("size", c.imageResolution());
        return root;
    }
}
