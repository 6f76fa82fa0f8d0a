package dev.dacspark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
 * {@code model.safetensors.index.json} lists. Reads every tensor under the file's own names, and writes a
 * directory's weights as transformers does ({@link #writeDirectory}).
 */
final class CheckpointFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** The weights file of an unsharded Hugging Face model directory. */
    static final String WEIGHTS = "model.safetensors";
    /** The index of a sharded one: {@code metadata} (total_parameters, total_size) and {@code weight_map} (tensor -> shard). */
    static final String INDEX = "model.safetensors.index.json";

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
        Path index = path.resolve(INDEX);
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
        for (String name : List.of(WEIGHTS, "open_clip_model.safetensors")) {
            if (Files.exists(path.resolve(name))) {
                return List.of(path.resolve(name));
            }
        }
        throw new CheckpointException(path + ": no model.safetensors, model.safetensors.index.json or open_clip_model.safetensors in this directory");
    }

    /**
     * Writes tensors into a model directory as transformers' {@code save_pretrained} shards them: in order, a shard is
     * closed when the next tensor would take it over {@code maxShardBytes}, and a tensor larger than the limit gets a
     * shard of its own. One shard is {@code model.safetensors}; several are {@code model-00001-of-0000N.safetensors}
     * with {@code model.safetensors.index.json}. Every file carries {@code metadata}. Returns the files written.
     */
    static List<Path> writeDirectory(Path dir, Map<String, Tensor> tensors, Map<String, String> metadata, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("the shard limit must be positive, got " + maxShardBytes + " bytes");
        }
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long totalBytes = 0;
        long totalParameters = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = e.getValue().numel() * e.getValue().dtype().bytes;
            totalBytes += bytes;
            totalParameters += e.getValue().numel();
            if (bytes > maxShardBytes) {
                shards.add(Map.of(e.getKey(), e.getValue()));
                continue;
            }
            if (currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        if (shards.size() == 1) {
            Path file = dir.resolve(WEIGHTS);
            SafeTensors.write(file, shards.get(0), metadata);
            return List.of(file);
        }
        List<Path> files = new ArrayList<>();
        Map<String, String> weightMap = new java.util.TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensors.write(dir.resolve(name), shards.get(i), metadata);
            shards.get(i).keySet().forEach(k -> weightMap.put(k, name));
            files.add(dir.resolve(name));
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_parameters", totalParameters, "total_size", totalBytes));
        index.put("weight_map", weightMap);
        Path indexFile = dir.resolve(INDEX);
        try {
            Files.writeString(indexFile, JSON.writeValueAsString(index) + "\n");
        } catch (IOException e) {
            throw new CheckpointException(indexFile + ": cannot write: " + e, e);
        }
        files.add(indexFile);
        return files;
    }
}
