package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.Precision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads and saves a {@link ClipModel} as safetensors, under OpenAI / open_clip key names or Hugging
 * Face {@code CLIPModel} key names (detected automatically), single files or HF sharded checkpoints
 * ({@code model.safetensors.index.json}); F16/BF16/F64 weights are upcast to fp32.
 *
 * <p>The parts: {@link CheckpointFiles} (which files, read), {@link KeyNaming} (the two namings and our
 * internal names), {@link ConfigInference} (the architecture from metadata, {@code config.json} or
 * shapes) and {@link TensorArrays} (tensors to and from DJL arrays).
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

    /**
     * The float dtype of the merged checkpoints a run writes ({@code dac.model.save-dtype}): {@code FP32}, exact; or
     * {@code CHECKPOINT}, each tensor in the dtype the run's base checkpoint stores it in (F16 or BF16; F32 and F64
     * tensors are written in F32): half the size for a half-precision release, the merged weights rounded to it.
     */
    public enum SaveDtype { FP32, CHECKPOINT }

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

    /**
     * Loads a CLIP as {@link #load(Path, NDManager)} and holds its frozen backbone in {@code precision}
     * ({@link ClipModel#setPrecision}).
     */
    public static ClipModel load(Path path, NDManager manager, Precision precision) {
        ClipModel model = load(path, manager);
        model.setPrecision(precision);
        return model;
    }

    /** Reads a checkpoint into internal names and resolves its config, without building a model. */
    public static Loaded read(Path path) {
        CheckpointFiles.Contents files = CheckpointFiles.read(path);
        Format format = KeyNaming.detect(files.tensors().keySet(), files.source());
        Map<String, Tensor> internal = KeyNaming.toInternal(format, files.tensors(), files.source());
        ClipConfig config = ConfigInference.resolve(path, files.metadata(), internal, files.source());
        return new Loaded(config, format, internal, files.source());
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
            e.getValue().set(TensorArrays.toNDArray(tensors.get(e.getKey()), manager));
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

    /** Saves the model as one safetensors file in the given naming, with its config in the metadata. */
    public static void save(ClipModel model, Path file, Format format, Map<String, String> extraMetadata) {
        SafeTensors.write(file, tensors(model, format), metadata(model, format, extraMetadata));
    }

    /** The model's weights under the names of {@code format}, in float32. */
    public static Map<String, Tensor> tensors(ClipModel model, Format format) {
        return tensors(model, format, Map.of());
    }

    /** The model's weights under the names of {@code format}, each in its dtype of {@code types} (by internal name; F32 if none). */
    public static Map<String, Tensor> tensors(ClipModel model, Format format, Map<String, SafeTensors.DType> types) {
        Map<String, Tensor> internal = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> internal.put(k,
                TensorArrays.fromNDArray(p.array()).as(types.getOrDefault(k, SafeTensors.DType.F32))));
        return KeyNaming.fromInternal(format, internal);
    }

    /**
     * The F16 and BF16 tensors of a checkpoint, by internal name: the dtypes {@link SaveDtype#CHECKPOINT} writes merged
     * checkpoints in (every other tensor in F32).
     */
    public static Map<String, SafeTensors.DType> halfTypes(Path checkpoint) {
        Map<String, SafeTensors.DType> types = new LinkedHashMap<>();
        read(checkpoint).tensors().forEach((k, t) -> {
            if (t.half()) {
                types.put(k, t.dtype());
            }
        });
        return types;
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

}
