package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.ImagePreprocessing;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hugging Face model directory of the golden CLIP against what transformers writes, and its round trips. */
class HuggingFaceDirectoryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path tokenizer() {
        return Golden.shared().resolve("clip/tokenizer.json");
    }

    @Test
    void goldenClipExportIsWhatTransformersWritesAndReadsBack(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel golden = ClipCheckpoint.load(Golden.file("hf"), m);
            List<Path> files = HuggingFaceDirectory.write(golden, tokenizer(), dir, HuggingFaceDirectory.DEFAULT_MAX_SHARD_BYTES, Map.of());
            assertEquals(List.of(dir.resolve("model.safetensors")), files);
            assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));

            // config.json: transformers' own, field by field (its version aside)
            JsonNode expected = JSON.readTree(Golden.dir().resolve("hf-" + Golden.config() + "/config.json").toFile());
            JsonNode written = JSON.readTree(dir.resolve("config.json").toFile());
            assertSameFields("config.json", expected, written, "transformers_version");
            assertEquals(golden.config().withPreprocessing(ImagePreprocessing.CLIP),
                    ClipConfig.fromHuggingFaceJson(Files.readString(dir.resolve("config.json")), "config.json"));

            // the weights: exactly clip-A.hf.safetensors, tagged as transformers tags them
            Map<String, Tensor> expectedTensors = SafeTensors.readAll(Golden.file("hf"));
            Map<String, Tensor> writtenTensors = SafeTensors.readAll(dir.resolve("model.safetensors"));
            assertEquals(new TreeSet<>(expectedTensors.keySet()), new TreeSet<>(writtenTensors.keySet()));
            expectedTensors.forEach((k, t) -> {
                assertArrayEquals(t.shape(), writtenTensors.get(k).shape(), k);
                assertArrayEquals(t.toFloats(), writtenTensors.get(k).toFloats(), k);
            });
            assertEquals("pt", SafeTensors.readMetadata(dir.resolve("model.safetensors")).get("format"));

            // our loader reads the directory and reproduces the reference outputs
            assertReproducesGoldenOutputs(ClipCheckpoint.load(dir, m), m);
            assertEquals(ClipCheckpoint.Format.HUGGINGFACE, ClipCheckpoint.read(dir).format());

            // image processor: the model's eval preprocessing
            JsonNode pre = JSON.readTree(dir.resolve("preprocessor_config.json").toFile());
            assertEquals("CLIPImageProcessor", pre.get("image_processor_type").asText());
            assertEquals(golden.config().imageResolution(), pre.at("/size/shortest_edge").asInt());
            assertEquals(golden.config().imageResolution(), pre.at("/crop_size/height").asInt());
            assertEquals(3, pre.get("resample").asInt());
            assertEquals(ImagePreprocessing.CLIP_MEAN, doubles(pre.get("image_mean")));
            assertEquals(ImagePreprocessing.CLIP_STD, doubles(pre.get("image_std")));

            // tokenizer: the run's file, as a CLIPTokenizer of the model's context with its start and end tokens
            assertArrayEquals(Files.readAllBytes(tokenizer()), Files.readAllBytes(dir.resolve("tokenizer.json")));
            JsonNode tc = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
            assertEquals("CLIPTokenizer", tc.get("tokenizer_class").asText());
            assertEquals(77, tc.get("model_max_length").asInt());
            assertEquals("<|startoftext|>", tc.get("bos_token").asText());
            assertEquals("<|endoftext|>", tc.get("eos_token").asText());
            assertEquals(tc.get("eos_token"), JSON.readTree(dir.resolve("special_tokens_map.json").toFile()).get("eos_token"));
            try (ClipTokenizer a = ClipTokenizer.load(tokenizer(), 77); ClipTokenizer b = ClipTokenizer.load(dir, 77)) {
                assertArrayEquals(a.encode("a photo of a cat."), b.encode("a photo of a cat."));
                assertEquals(written.at("/text_config/bos_token_id").asLong(), b.startId());
                assertEquals(written.at("/text_config/eos_token_id").asLong(), b.endId());
            }
        }
    }

    @Test
    void aShardedExportHasTransformersIndexAndRoundTrips(@TempDir Path dir) throws IOException {
        long limit = 2_000_000; // the golden CLIP is 14.8 MB: several shards, the 12.6 MB token embedding alone in one
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel golden = ClipCheckpoint.load(Golden.file("hf"), m);
            List<Path> files = HuggingFaceDirectory.write(golden, tokenizer(), dir, limit, Map.of("note", "sharded"));
            Path index = dir.resolve("model.safetensors.index.json");
            assertTrue(files.contains(index), files.toString());
            assertFalse(Files.exists(dir.resolve("model.safetensors")));
            List<Path> shards = files.stream().filter(f -> !f.equals(index)).toList();
            assertTrue(shards.size() > 2, shards.toString());
            JsonNode json = JSON.readTree(index.toFile());
            Map<String, Tensor> expected = SafeTensors.readAll(Golden.file("hf"));
            long totalBytes = 0;
            long totalParameters = 0;
            List<String> listed = new ArrayList<>();
            for (int i = 0; i < shards.size(); i++) {
                Path shard = shards.get(i);
                assertEquals(String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()), shard.getFileName().toString());
                Map<String, Tensor> inShard = SafeTensors.readAll(shard);
                long bytes = inShard.values().stream().mapToLong(t -> t.numel() * 4).sum();
                assertTrue(bytes <= limit || inShard.size() == 1, shard + ": " + bytes + " bytes in " + inShard.size() + " tensors");
                assertEquals("pt", SafeTensors.readMetadata(shard).get("format"));
                for (String k : inShard.keySet()) {
                    assertEquals(shard.getFileName().toString(), json.at("/weight_map").get(k).asText(), k);
                    listed.add(k);
                }
                totalBytes += bytes;
                totalParameters += inShard.values().stream().mapToLong(Tensor::numel).sum();
            }
            assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(listed));
            assertEquals(expected.size(), json.get("weight_map").size());
            assertEquals(totalBytes, json.at("/metadata/total_size").asLong());
            assertEquals(totalParameters, json.at("/metadata/total_parameters").asLong());
            assertReproducesGoldenOutputs(ClipCheckpoint.load(dir, m), m);
        }
    }

    @Test
    void preprocessingTransformersCannotApplyIsStatedAndKept(@TempDir Path dir) throws IOException {
        ImagePreprocessing grey = new ImagePreprocessing(true, ImagePreprocessing.InkPolarity.LIGHT_ON_DARK, List.of(0.5, 0.5, 0.5),
                List.of(0.5, 0.5, 0.5));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel golden = ClipCheckpoint.load(Golden.file("hf"), m);
            ClipModel model = new ClipModel(golden.config().withPreprocessing(grey));
            ClipCheckpoint.assign(model, ClipCheckpoint.read(Golden.file("hf")).tensors(), "golden", m);
            HuggingFaceDirectory.write(model, tokenizer(), dir, HuggingFaceDirectory.DEFAULT_MAX_SHARD_BYTES, Map.of());
            assertEquals(List.of(0.5, 0.5, 0.5), doubles(JSON.readTree(dir.resolve("preprocessor_config.json").toFile()).get("image_mean")));
            String readme = Files.readString(dir.resolve("README.md"));
            assertTrue(readme.contains("greyscale") && readme.contains("light-on-dark"), readme);
            assertEquals(grey, ClipCheckpoint.read(dir).config().preprocessing(), "the weights' metadata keeps our preprocessing");
        }
    }

    @Test
    void theDemoModelsWordLevelTokenizerIsAFastTokenizerWithItsOwnIdsAndAMismatchIsRefused(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel demo = ClipCheckpoint.load(DemoBaseModel.checkpoint(), m);
            Path out = dir.resolve("demo");
            HuggingFaceDirectory.write(demo, DemoBaseModel.tokenizer(), out, HuggingFaceDirectory.DEFAULT_MAX_SHARD_BYTES, Map.of());
            JsonNode tc = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
            assertEquals("PreTrainedTokenizerFast", tc.get("tokenizer_class").asText());
            assertEquals(demo.config().contextLength(), tc.get("model_max_length").asInt());
            JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
            try (ClipTokenizer t = ClipTokenizer.load(DemoBaseModel.tokenizer(), demo.config().contextLength())) {
                assertEquals(t.startToken(), tc.get("bos_token").asText());
                assertEquals(t.endToken(), tc.get("eos_token").asText());
                assertEquals(t.startId(), config.at("/text_config/bos_token_id").asLong());
                assertEquals(t.endId(), config.at("/text_config/eos_token_id").asLong());
            }
            assertEquals(demo.config(), ClipCheckpoint.read(out).config());
            assertTrue(Files.readString(out.resolve("README.md")).contains("greyscale"));

            // CLIP's 49408-token BPE does not fit the demo model's 70-token embedding
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> HuggingFaceDirectory.write(demo, tokenizer(), dir.resolve("mismatch"), HuggingFaceDirectory.DEFAULT_MAX_SHARD_BYTES,
                            Map.of()));
            assertTrue(e.getMessage().contains(tokenizer().toString()) && e.getMessage().contains("vocab_size"), e.getMessage());
        }
    }

    @Test
    void sizesAreReadAsTransformersReadsThem() {
        assertEquals(50_000_000_000L, HuggingFaceDirectory.parseSize("50GB"));
        assertEquals(200_000_000L, HuggingFaceDirectory.parseSize("200MB"));
        assertEquals(10_000L, HuggingFaceDirectory.parseSize("10kb"));
        assertEquals(1234L, HuggingFaceDirectory.parseSize("1234"));
        for (String bad : new String[] {"", "GB", "-5MB", "5 parsecs", "0"}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> HuggingFaceDirectory.parseSize(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    /** The model's outputs on the golden inputs are the reference's (clip-A.io.safetensors). */
    static void assertReproducesGoldenOutputs(ClipModel model, NDManager m) {
        Map<String, Tensor> io = SafeTensors.readAll(Golden.file("io"));
        NDArray text = m.create(io.get("text").toLongs(), new Shape(io.get("text").shape()));
        NDArray image = model.encodeImage(Golden.array(io, "image", m));
        NDArray txt = model.encodeText(text);
        Golden.assertClose(Golden.array(io, "image_features", m), image, 1e-4, 1e-5, "image_features");
        Golden.assertClose(Golden.array(io, "text_features", m), txt, 1e-4, 1e-5, "text_features");
        Golden.assertClose(Golden.array(io, "logits_per_image", m), model.logitsPerImage(image, txt), 1e-4, 1e-5, "logits_per_image");
    }

    /** Every field of {@code expected} (recursively) is in {@code actual} with the same value and JSON type, and no other. */
    static void assertSameFields(String where, JsonNode expected, JsonNode actual, String... except) {
        TreeSet<String> names = new TreeSet<>();
        expected.fieldNames().forEachRemaining(names::add);
        actual.fieldNames().forEachRemaining(names::add);
        names.removeAll(List.of(except));
        for (String k : names) {
            JsonNode e = expected.get(k);
            JsonNode a = actual.get(k);
            assertTrue(e != null && a != null, where + ": '" + k + "' is " + (e == null ? "not in the expected file" : "missing"));
            if (e.isObject()) {
                assertSameFields(where + " " + k, e, a);
            } else if (e.isNumber()) {
                assertTrue(a.isNumber() && e.isIntegralNumber() == a.isIntegralNumber(), where + ": '" + k + "' is " + a + ", expected " + e);
                assertEquals(e.asDouble(), a.asDouble(), 0, where + ": " + k);
            } else {
                assertEquals(e, a, where + ": " + k);
            }
        }
    }

    private static List<Double> doubles(JsonNode a) {
        List<Double> out = new ArrayList<>();
        a.forEach(v -> out.add(v.asDouble()));
        return out;
    }
}
