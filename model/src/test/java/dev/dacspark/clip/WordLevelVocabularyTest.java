package dev.dacspark.clip;

import dev.dacspark.data.glyphs.GlyphCaptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WordLevelVocabularyTest {

    @Test
    void wordsAreLowercasedAndPunctuationStandsAlone() {
        assertEquals(List.of("a", "photo", "of", "the", "number", ":", "\"", "3", "-", "three", "\"", "."),
                WordLevelVocabulary.words("A photo of the number: \"3 - three\"."));
    }

    @Test
    void theTokenizerJsonEncodesAsTheVocabularySplits(@TempDir Path dir) throws Exception {
        List<String> captions = GlyphCaptions.all();
        WordLevelVocabulary vocabulary = WordLevelVocabulary.of(captions);
        Path file = dir.resolve("tokenizer.json");
        vocabulary.write(file);
        int context = 16;
        try (ClipTokenizer tokenizer = ClipTokenizer.load(file, context)) {
            assertEquals(vocabulary.id(WordLevelVocabulary.START), tokenizer.startId());
            assertEquals(vocabulary.size() - 1, tokenizer.endId(), "the end token has the highest id (CLIP pools there)");
            for (String caption : captions) {
                List<String> words = WordLevelVocabulary.words(caption);
                long[] expected = new long[context];
                expected[0] = tokenizer.startId();
                for (int i = 0; i < words.size(); i++) {
                    expected[i + 1] = vocabulary.id(words.get(i));
                }
                expected[words.size() + 1] = tokenizer.endId();
                assertArrayEquals(expected, tokenizer.encode(caption), caption);
            }
            long unknown = vocabulary.id(WordLevelVocabulary.UNKNOWN);
            assertArrayEquals(new long[] {tokenizer.startId(), vocabulary.id("the"), unknown, unknown, tokenizer.endId()},
                    java.util.Arrays.copyOf(tokenizer.encode("The trouser!"), 5));
        }
        Path again = dir.resolve("again.json");
        List<String> reversed = new java.util.ArrayList<>(captions);
        java.util.Collections.reverse(reversed);
        WordLevelVocabulary.of(reversed).write(again);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again), "the same words give the same file");
    }
}
