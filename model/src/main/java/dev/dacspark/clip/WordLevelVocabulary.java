package dev.dacspark.clip;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A word-level vocabulary for a small CLIP, written as a Hugging Face {@code tokenizer.json} that
 * {@link ClipTokenizer} (DJL's {@code HuggingFaceTokenizer}) loads:
 * <ul>
 *   <li>normaliser {@code Lowercase}; pre-tokenizer {@code BertPreTokenizer} (splits at whitespace and isolates
 *       every punctuation character), reproduced by {@link #words} here;</li>
 *   <li>model {@code WordLevel}: the words sorted (ids 0..n-1), then {@code <unk>}, {@code <start_of_text>} and
 *       {@code <end_of_text>}, so that the end token has the highest id, where CLIP's text tower pools;</li>
 *   <li>post-processor {@code TemplateProcessing}: {@code <start_of_text> $A <end_of_text>}.</li>
 * </ul>
 * The same texts give the same file, byte for byte.
 */
public final class WordLevelVocabulary {
    public static final String UNKNOWN = "<unk>";
    public static final String START = "<start_of_text>";
    public static final String END = "<end_of_text>";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Two-space indent and "\n" line ends on every platform (Jackson's default follows the platform). */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n"));

    private final List<String> tokens;

    private WordLevelVocabulary(List<String> tokens) {
        this.tokens = Collections.unmodifiableList(tokens);
    }

    /** The vocabulary of every word of these texts, as the tokenizer splits them. */
    public static WordLevelVocabulary of(Collection<String> texts) {
        TreeSet<String> words = new TreeSet<>();
        for (String t : texts) {
            words.addAll(words(t));
        }
        List<String> tokens = new ArrayList<>(words);
        tokens.add(UNKNOWN);
        tokens.add(START);
        tokens.add(END);
        return new WordLevelVocabulary(tokens);
    }

    /**
     * A text's words as the tokenizer sees them: lowercased, split at whitespace, every ASCII punctuation character
     * a word of its own (Hugging Face's {@code BertPreTokenizer} on ASCII text).
     */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (char ch : text.toLowerCase(Locale.ROOT).toCharArray()) {
            boolean punctuation = ch < 128 && !Character.isLetterOrDigit(ch) && !Character.isWhitespace(ch) && ch > ' ';
            if (Character.isWhitespace(ch) || punctuation) {
                if (!word.isEmpty()) {
                    out.add(word.toString());
                    word.setLength(0);
                }
                if (punctuation) {
                    out.add(String.valueOf(ch));
                }
            } else {
                word.append(ch);
            }
        }
        if (!word.isEmpty()) {
            out.add(word.toString());
        }
        return out;
    }

    /** Tokens in all, the model's {@code vocab_size}. */
    public int size() {
        return tokens.size();
    }

    public int id(String token) {
        int id = tokens.indexOf(token);
        if (id < 0) {
            throw new IllegalArgumentException("'" + token + "' is not in the vocabulary");
        }
        return id;
    }

    /** The {@code tokenizer.json} text. */
    public String toTokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of(UNKNOWN, START, END)) {
            ObjectNode t = added.addObject();
            t.put("id", id(special));
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putObject("normalizer").put("type", "Lowercase");
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", START).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", END).put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", START).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", END).put("type_id", 0);
        ObjectNode specials = post.putObject("special_tokens");
        for (String special : List.of(START, END)) {
            ObjectNode s = specials.putObject(special);
            s.put("id", special);
            s.putArray("ids").add(id(special));
            s.putArray("tokens").add(special);
        }
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        model.put("unk_token", UNKNOWN);
        try {
            return JSON.writer(PRETTY).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code tokenizer.json}, creating parent directories. */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, toTokenizerJson(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
