package dev.dacspark.clip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTokenizerTest {

    private static Path tokenizerJson() {
        return Golden.shared().resolve("clip/tokenizer.json");
    }

    @Test
    void reproducesEveryGoldenCase() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(Golden.dir().resolve("tokenizer-cases.json").toFile());
        assertTrue(cases.size() > 0, "no tokenizer cases");
        int context = cases.get(0).get("ids").size();
        try (ClipTokenizer tok = ClipTokenizer.load(tokenizerJson(), context)) {
            List<String> texts = new ArrayList<>();
            for (JsonNode c : cases) {
                long[] expected = new long[c.get("ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = c.get("ids").get(i).asLong();
                }
                assertArrayEquals(expected, tok.encode(c.get("text").asText()), "text: " + c.get("text").asText());
                texts.add(c.get("text").asText());
            }
            long[] batch = tok.encodeBatch(texts);
            assertEquals(texts.size() * context, batch.length);
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(cases.get(i).get("ids").get(0).asLong(), batch[i * context]);
            }
        }
    }

    @Test
    void longTextEndsWithTheEndToken() {
        try (ClipTokenizer tok = ClipTokenizer.load(tokenizerJson(), 77)) {
            long[] ids = tok.encode("word ".repeat(200));
            assertEquals(77, ids.length);
            assertEquals(tok.startId(), ids[0]);
            assertEquals(tok.endId(), ids[76]);
            for (int i = 1; i < 76; i++) {
                assertTrue(ids[i] != 0 && ids[i] != tok.endId(), "position " + i);
            }
        }
    }

    @Test
    void directoryAndClearErrors(@TempDir Path dir) throws Exception {
        Files.copy(tokenizerJson(), dir.resolve("tokenizer.json"));
        try (ClipTokenizer tok = ClipTokenizer.load(dir, 77)) {
            assertEquals(49406, tok.startId());
            assertEquals(49407, tok.endId());
        }
        var missing = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir.resolve("nope.json"), 77));
        assertTrue(missing.getMessage().contains("nope.json"), missing.getMessage());
        Path bad = Files.writeString(dir.resolve("bad.json"), "{not json");
        var broken = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(bad, 77));
        assertTrue(broken.getMessage().contains("bad.json"), broken.getMessage());
    }

    @Test
    void aTokenizerWhoseIdsDoNotFitTheCheckpointIsRefusedNamingBothFilesAndSizes() {
        ClipConfig b16 = ClipConfig.named("ViT-B/16");
        try (ClipTokenizer tok = ClipTokenizer.forModel(tokenizerJson(), "tokenizer.json", b16, "ViT-B-16.safetensors")) {
            assertEquals(77, tok.contextLength());
        }
        ClipConfig small = ClipConfig.openai(64, 32, 2, 64, 16, 77, 1000, 64, 2, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClipTokenizer.forModel(tokenizerJson(), "s3a://models/tokenizer.json", small, "s3a://models/tiny.safetensors"));
        assertTrue(e.getMessage().contains("s3a://models/tokenizer.json") && e.getMessage().contains("s3a://models/tiny.safetensors")
                && e.getMessage().contains("49408 tokens") && e.getMessage().contains("embeds 1000 tokens"), e.getMessage());
    }
}
