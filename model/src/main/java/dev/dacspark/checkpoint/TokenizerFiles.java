package dev.dacspark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A run's {@code tokenizer.json} as the tokenizer files of a Hugging Face model directory: the file itself, and the
 * {@code tokenizer_config.json} and {@code special_tokens_map.json} that {@code AutoTokenizer.from_pretrained} reads
 * (transformers 5 reads the first, 4.x both). A BPE tokenizer (CLIP's) is a {@code CLIPTokenizer}, which transformers
 * rebuilds from the file's vocabulary and merges; any other model (the demo's word-level vocabulary) is a {@code
 * PreTrainedTokenizerFast}, which takes the file as it is. Start and end tokens are the ones our {@link ClipTokenizer}
 * reads off the file, the end token pads (as CLIP's does: the model pools at the first end token, so padding after it
 * changes nothing), and {@code model_max_length} is the model's context length.
 */
final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerFiles() {}

    /** The ids a model directory's {@code config.json} names: start (bos) and end (eos) of text. */
    record TokenIds(long bos, long eos) {}

    /**
     * Writes the tokenizer files of {@code tokenizerJson} for {@code model} into {@code dir}; returns the start and end ids.
     * A tokenizer whose ids do not fit the model's vocabulary is refused ({@link ClipTokenizer#forModel}).
     */
    static TokenIds write(Path tokenizerJson, ClipConfig model, Path dir) {
        Path source = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        JsonNode vocabulary;
        try {
            vocabulary = JSON.readTree(source.toFile()).path("model");
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read the tokenizer: " + e.getMessage(), e);
        }
        int contextLength = model.contextLength();
        try (ClipTokenizer tokenizer = ClipTokenizer.forModel(source, source.toString(), model, "the exported model")) {
            String type = vocabulary.path("type").asText("");
            String unk = vocabulary.path("unk_token").isTextual() ? vocabulary.get("unk_token").asText() : null;
            ObjectNode special = JSON.createObjectNode();
            special.put("bos_token", tokenizer.startToken());
            special.put("eos_token", tokenizer.endToken());
            special.put("pad_token", tokenizer.endToken());
            if (unk != null) {
                special.put("unk_token", unk);
            }
            ObjectNode config = special.deepCopy();
            config.put("tokenizer_class", type.equals("BPE") ? "CLIPTokenizer" : "PreTrainedTokenizerFast");
            config.put("model_max_length", contextLength);
            config.put("clean_up_tokenization_spaces", false);
            Files.createDirectories(dir);
            Files.copy(source, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
            JSON.writeValue(dir.resolve("special_tokens_map.json").toFile(), special);
            return new TokenIds(tokenizer.startId(), tokenizer.endId());
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot write the tokenizer files: " + e.getMessage(), e);
        }
    }
}
