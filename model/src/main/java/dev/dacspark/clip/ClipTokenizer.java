package dev.dacspark.clip;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * CLIP's text encoding through DJL's {@link HuggingFaceTokenizer}: a {@code tokenizer.json} (a file,
 * or a Hugging Face model directory holding one) turns text into [start, BPE ids..., end], padded
 * with 0 to the context length; longer text is cut so that the end token is last, as OpenAI's
 * {@code clip.tokenize(truncate=True)} does.
 *
 * <p>The start and end ids are the tokenizer's own special tokens (what it adds around an empty
 * text), so word-level tokenizers with other ids work too. CLIP pools the text at the highest id of
 * each row, so the end token must be the vocabulary's highest id (true of CLIP's BPE; a word-level
 * tokenizer made for CLIP must keep it so).
 */
public final class ClipTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int contextLength;
    private final long startId;
    private final long endId;
    private final String startToken;
    private final String endToken;
    private final String source;

    private ClipTokenizer(HuggingFaceTokenizer tokenizer, int contextLength, String source) {
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.source = source;
        Encoding empty = tokenizer.encode("");
        if (empty.getIds().length != 2) {
            throw new IllegalArgumentException(source + ": the tokenizer must add one start and one end token "
                    + "(a post-processor such as RobertaProcessing); it turned \"\" into " + empty.getIds().length + " tokens");
        }
        this.startId = empty.getIds()[0];
        this.endId = empty.getIds()[1];
        this.startToken = empty.getTokens()[0];
        this.endToken = empty.getTokens()[1];
    }

    /** Loads {@code tokenizer.json} from a file or a model directory; never downloads. */
    public static ClipTokenizer load(Path path, int contextLength) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer file " + file + " does not exist");
        }
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "true", "truncation", "false", "padding", "false",
                    "modelMaxLength", Integer.toString(Integer.MAX_VALUE)));
            return new ClipTokenizer(t, contextLength, file.toString());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a usable tokenizer.json: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the tokenizer for a model: at the model's context length, and refused when its ids do not fit the model's
     * token embedding (the end token, the highest id, must be below {@code vocab_size}), naming both files and sizes;
     * otherwise the first text encoded fails deep in libtorch with "index out of range in self".
     */
    public static ClipTokenizer forModel(Path path, String tokenizerName, ClipConfig model, String checkpointName) {
        ClipTokenizer tokenizer = load(path, model.contextLength());
        if (tokenizer.endId >= model.vocabSize()) {
            tokenizer.close();
            throw new IllegalArgumentException("the tokenizer " + tokenizerName + " does not fit the checkpoint " + checkpointName
                    + ": its ids go up to " + tokenizer.endId + " (a vocabulary of " + (tokenizer.endId + 1) + " tokens), the "
                    + "checkpoint embeds " + model.vocabSize() + " tokens (vocab_size); use the tokenizer the checkpoint was "
                    + "trained with (dac.model.tokenizer)");
        }
        return tokenizer;
    }

    public int contextLength() {
        return contextLength;
    }

    public long startId() {
        return startId;
    }

    public long endId() {
        return endId;
    }

    /** The start token as text, e.g. {@code <|startoftext|>}. */
    public String startToken() {
        return startToken;
    }

    /** The end token as text, e.g. {@code <|endoftext|>}. */
    public String endToken() {
        return endToken;
    }

    /** One text as {@code contextLength} ids. */
    public long[] encode(String text) {
        long[] out = new long[contextLength];
        encodeInto(text, out, 0);
        return out;
    }

    /** Texts as a row-major (texts.size(), contextLength) id matrix. */
    public long[] encodeBatch(List<String> texts) {
        long[] out = new long[texts.size() * contextLength];
        for (int i = 0; i < texts.size(); i++) {
            encodeInto(texts.get(i), out, i * contextLength);
        }
        return out;
    }

    private void encodeInto(String text, long[] out, int offset) {
        Encoding enc = tokenizer.encode(text);
        long[] ids = enc.getIds();
        int n = Math.min(ids.length, contextLength);
        System.arraycopy(ids, 0, out, offset, n);
        if (ids.length > contextLength) {
            out[offset + contextLength - 1] = endId;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "ClipTokenizer(" + source + ", context " + contextLength + ", start " + startId + ", end " + endId + ")";
    }
}
