package dev.dacspark.checkpoint;

import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The architecture of a checkpoint, from, in order: the {@code config} entry of the safetensors metadata
 * (OpenAI argument names), a Hugging Face {@code config.json} beside the weights, or the tensor shapes (as
 * OpenAI's {@code build_model}: heads = width / 64 on both towers).
 */
final class ConfigInference {
    private ConfigInference() {}

    /** The config of the checkpoint at {@code path}, whose tensors are under internal names. */
    static ClipConfig resolve(Path path, Map<String, String> metadata, Map<String, Tensor> internal, String source) {
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
        return fromShapes(internal, source);
    }

    /** The architecture from tensor shapes (internal names), as OpenAI's {@code build_model} infers it. */
    static ClipConfig fromShapes(Map<String, Tensor> t, String source) {
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
}
