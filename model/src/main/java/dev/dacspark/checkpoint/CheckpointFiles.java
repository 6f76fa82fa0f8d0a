package dev.dacspark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files of a checkpoint on disk: one safetensors file, or a Hugging Face model directory with
 * {@code model.safetensors}, {@code open_clip_model.safetensors} or the shards that
 * {@code model.safetensors.index.json} lists. Reads every tensor under the file's own names.
 */
final class CheckpointFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointFiles() {}

    /** A checkpoint's tensors (file names) and metadata over all its files, and the name to report it by. */
    record Contents(Map<String, Tensor> tensors, Map<String, String> metadata, String source) {}

    /** Reads every tensor and the metadata of the checkpoint at {@code path} (a file or a directory). */
    static Contents read(Path path) {
        List<Path> files = weightFiles(path);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Path f : files) {
            try (SafeTensors.Reader r = SafeTensors.open(f)) {
                metadata.putAll(r.metadata());
                for (String name : r.entries().keySet()) {
                    tensors.put(name, r.read(name));
                }
            }
        }
        return new Contents(tensors, metadata, files.size() == 1 ? files.get(0).toString() : path.toString());
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
}
