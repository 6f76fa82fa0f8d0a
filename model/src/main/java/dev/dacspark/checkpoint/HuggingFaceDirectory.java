package dev.dacspark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ImagePreprocessing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A CLIP as a Hugging Face model directory, what {@code CLIPModel.from_pretrained(dir)} and a zero-shot pipeline load:
 * {@code config.json} (a {@code CLIPConfig} as transformers 5 writes it for this architecture), the weights under
 * {@code CLIPModel} names ({@code model.safetensors}, or shards with {@code model.safetensors.index.json}, see {@link
 * CheckpointFiles#writeDirectory}), {@code preprocessor_config.json} (a {@code CLIPImageProcessor}: shorter side to the
 * resolution, bicubic, centre crop, the model's mean and std) and the tokenizer files ({@link TokenizerFiles}).
 *
 * <p>The weights' metadata is {@code format = pt} (what transformers writes and 4.x requires) and our config entry
 * (the architecture and preprocessing, {@link ClipCheckpoint#metadata}), so a weights file read alone still loads in
 * {@link ClipCheckpoint}; the key naming is told by the keys. Preprocessing transformers has no setting for (greyscale,
 * ink polarity) is stated in the directory's {@code README.md}.
 */
public final class HuggingFaceDirectory {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** transformers' default shard limit ({@code save_pretrained(max_shard_size="50GB")}, 50 x 10^9 bytes): a CLIP is one file. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 50_000_000_000L;
    /** The weights file of an unsharded directory. */
    public static final String WEIGHTS = CheckpointFiles.WEIGHTS;
    /** The transformers release whose files these follow (its {@code config.json} names it). */
    static final String TRANSFORMERS_VERSION = "5.18.0";

    private HuggingFaceDirectory() {}

    /**
     * Writes {@code model} into {@code dir} (created) with the tokenizer {@code tokenizerJson} (a file or a directory
     * holding one); {@code metadata} is added to the weights' metadata. Returns the weight files written.
     */
    public static List<Path> write(ClipModel model, Path tokenizerJson, Path dir, long maxShardBytes, Map<String, String> metadata) {
        return write(model, Map.of(), tokenizerJson, dir, maxShardBytes, metadata);
    }

    /** As {@link #write(ClipModel, Path, Path, long, Map)}, each weight in its dtype of {@code types} ({@link ClipCheckpoint#tensors}). */
    public static List<Path> write(ClipModel model, Map<String, SafeTensors.DType> types, Path tokenizerJson, Path dir, long maxShardBytes,
            Map<String, String> metadata) {
        ClipConfig c = model.config();
        TokenizerFiles.TokenIds ids = TokenizerFiles.write(tokenizerJson, c, dir);
        Map<String, String> weightsMetadata = new LinkedHashMap<>(ClipCheckpoint.metadata(model, ClipCheckpoint.Format.HUGGINGFACE, metadata));
        weightsMetadata.put("format", "pt"); // transformers' framework tag; the keys tell the naming
        List<Path> files = CheckpointFiles.writeDirectory(dir, ClipCheckpoint.tensors(model, ClipCheckpoint.Format.HUGGINGFACE, types),
                weightsMetadata, maxShardBytes);
        writeJson(dir.resolve("config.json"), configJson(c, ids));
        writeJson(dir.resolve("preprocessor_config.json"), preprocessorJson(c));
        writeText(dir.resolve("README.md"), readme(c));
        return files;
    }

    /** {@code config.json}: the {@code CLIPConfig} transformers writes for this architecture, its defaults written out. */
    static ObjectNode configJson(ClipConfig c, TokenizerFiles.TokenIds ids) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("CLIPModel");
        root.put("dtype", "float32");
        root.put("initializer_factor", 1.0);
        root.put("logit_scale_init_value", 2.6592); // transformers' initial value; the trained one is the logit_scale weight
        root.put("model_type", "clip");
        root.put("projection_dim", c.embedDim());
        ObjectNode text = root.putObject("text_config");
        tower(text, c.transformerWidth(), c.transformerLayers(), c.transformerHeads(), c.embedDim(), "clip_text_model");
        text.put("bos_token_id", ids.bos());
        text.put("eos_token_id", ids.eos()); // transformers pools the text at the first end token, as our highest-id rule does
        text.put("max_position_embeddings", c.contextLength());
        text.put("pad_token_id", 1); // CLIPTextConfig's default: the text model never reads it (the tokenizer pads with eos)
        text.put("vocab_size", c.vocabSize());
        root.put("transformers_version", TRANSFORMERS_VERSION);
        ObjectNode vision = root.putObject("vision_config");
        tower(vision, c.visionWidth(), c.visionLayers(), c.visionHeads(), c.embedDim(), "clip_vision_model");
        vision.put("image_size", c.imageResolution());
        vision.put("num_channels", 3);
        vision.put("patch_size", c.visionPatchSize());
        return sorted(root);
    }

    private static void tower(ObjectNode n, int width, int layers, int heads, int projection, String modelType) {
        n.put("attention_dropout", 0.0);
        n.put("hidden_act", "quick_gelu");
        n.put("hidden_size", width);
        n.put("initializer_factor", 1.0);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", 4 * width);
        n.put("layer_norm_eps", 1e-5);
        n.put("model_type", modelType);
        n.put("num_attention_heads", heads);
        n.put("num_hidden_layers", layers);
        n.put("projection_dim", projection);
    }

    /** {@code preprocessor_config.json}: transformers' {@code CLIPImageProcessor} doing our eval preprocessing. */
    static ObjectNode preprocessorJson(ClipConfig c) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode crop = n.putObject("crop_size");
        crop.put("height", c.imageResolution());
        crop.put("width", c.imageResolution());
        n.put("do_center_crop", true);
        n.put("do_convert_rgb", true);
        n.put("do_normalize", true);
        n.put("do_rescale", true);
        n.put("do_resize", true);
        ArrayNode mean = n.putArray("image_mean");
        c.preprocessing().mean().forEach(mean::add);
        n.put("image_processor_type", "CLIPImageProcessor");
        ArrayNode std = n.putArray("image_std");
        c.preprocessing().std().forEach(std::add);
        n.put("resample", 3); // PIL's BICUBIC
        n.put("rescale_factor", 1 / 255.0);
        n.putObject("size").put("shortest_edge", c.imageResolution());
        return n;
    }

    /** The directory's model card: what it is and what transformers cannot apply by itself. */
    private static String readme(ClipConfig c) {
        StringBuilder sb = new StringBuilder("# CLIP from dac-spark\n\n")
                .append("A Hugging Face `CLIPModel` directory: `CLIPModel.from_pretrained(dir)`, `CLIPProcessor.from_pretrained(dir)`.\n\n")
                .append("Architecture: ").append(c).append(".\n\n");
        ImagePreprocessing p = c.preprocessing();
        List<String> extra = new ArrayList<>();
        if (p.greyscale()) {
            extra.add("convert every image to greyscale (PIL's `convert(\"L\")`, then back to RGB)");
        }
        if (p.inkPolarity() != ImagePreprocessing.InkPolarity.KEEP) {
            extra.add("bring every image to " + p.inkPolarity().id() + " ink (invert an image whose one-pixel border averages "
                    + (p.inkPolarity() == ImagePreprocessing.InkPolarity.LIGHT_ON_DARK ? "above" : "at most") + " 127.5)");
        }
        if (!extra.isEmpty()) {
            sb.append("**Preprocessing the image processor does not do**: before `CLIPProcessor`, ")
                    .append(String.join("; ", extra)).append(". The model was trained on images so prepared.\n");
        }
        return sb.toString();
    }

    private static ObjectNode sorted(ObjectNode n) {
        ObjectNode out = JSON.createObjectNode();
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        keys.sort(null);
        for (String k : keys) {
            out.set(k, n.get(k) instanceof ObjectNode o ? sorted(o) : n.get(k));
        }
        return out;
    }

    static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, JSON.writeValueAsString(value) + "\n");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** A byte count from a size such as {@code 50GB}, {@code 200MB}, {@code 10KB} (powers of 1000, as transformers) or bytes. */
    public static long parseSize(String size) {
        String s = size.trim().toUpperCase(Locale.ROOT);
        long unit = s.endsWith("TB") ? 1_000_000_000_000L : s.endsWith("GB") ? 1_000_000_000L : s.endsWith("MB") ? 1_000_000L
                : s.endsWith("KB") ? 1_000L : 1L;
        String digits = unit == 1 ? s : s.substring(0, s.length() - 2).trim();
        try {
            long n = Long.parseLong(digits);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + size + "' is not a size such as 50GB, 200MB, 10KB or a number of bytes");
        }
    }
}
