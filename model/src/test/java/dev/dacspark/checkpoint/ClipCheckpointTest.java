package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors.DType;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Param;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, saving and the errors of broken checkpoints. */
class ClipCheckpointTest {

    private static Map<String, Tensor> openai() {
        return SafeTensors.readAll(Golden.file("openai"));
    }

    private static Map<String, String> metadata() {
        return SafeTensors.readMetadata(Golden.file("openai"));
    }

    private static void assertSameParameters(ClipModel a, ClipModel b) {
        assertEquals(a.namedParameters().keySet(), b.namedParameters().keySet());
        for (Map.Entry<String, Param> e : a.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().array().toFloatArray(), b.namedParameters().get(e.getKey()).array().toFloatArray(), e.getKey());
        }
    }

    @Test
    void bothNamingsGiveTheSameModelAndSavingRoundTrips(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel fromOpenAi = ClipCheckpoint.load(Golden.file("openai"), m);
            ClipModel fromHf = ClipCheckpoint.load(Golden.file("hf"), m);
            assertSameParameters(fromOpenAi, fromHf);
            for (ClipCheckpoint.Format f : ClipCheckpoint.Format.values()) {
                Path out = dir.resolve(f + ".safetensors");
                ClipCheckpoint.save(fromOpenAi, out, f, Map.of("note", "round trip"));
                assertEquals(f, ClipCheckpoint.read(out).format());
                assertSameParameters(fromOpenAi, ClipCheckpoint.load(out, m));
                assertEquals("round trip", SafeTensors.readMetadata(out).get("note"));
            }
            // The saved OpenAI file holds exactly the golden file's tensors, bit for bit.
            Map<String, Tensor> golden = openai();
            Map<String, Tensor> saved = SafeTensors.readAll(dir.resolve("OPENAI.safetensors"));
            assertEquals(golden.keySet(), saved.keySet());
            golden.forEach((k, t) -> assertArrayEquals(t.toFloats(), saved.get(k).toFloats(), k));
            Map<String, Tensor> goldenHf = SafeTensors.readAll(Golden.file("hf"));
            Map<String, Tensor> savedHf = SafeTensors.readAll(dir.resolve("HUGGINGFACE.safetensors"));
            assertEquals(goldenHf.keySet(), savedHf.keySet());
            goldenHf.forEach((k, t) -> assertArrayEquals(t.toFloats(), savedHf.get(k).toFloats(), k));
        }
    }

    @Test
    void halfPrecisionShardedHuggingFaceDirectoryWithConfigJson(@TempDir Path dir) throws IOException {
        Map<String, Tensor> hf = SafeTensors.readAll(Golden.file("hf"));
        Map<String, Tensor> shard1 = new LinkedHashMap<>();
        Map<String, Tensor> shard2 = new LinkedHashMap<>();
        var index = new ObjectMapper().createObjectNode();
        var weightMap = index.putObject("weight_map");
        int i = 0;
        for (Map.Entry<String, Tensor> e : hf.entrySet()) {
            boolean first = i++ % 2 == 0;
            // alternate bf16 and f16 so both upcasts are exercised
            (first ? shard1 : shard2).put(e.getKey(), e.getValue().as(first ? DType.BF16 : DType.F16));
            weightMap.put(e.getKey(), first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        shard2.put("text_model.embeddings.position_ids", Tensor.ofLongs(new long[] {1, 77}, new long[77]));
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), shard1, Map.of());
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), shard2, Map.of());
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        ClipConfig c = ClipConfig.fromOpenAiJson(metadata().get("config"), "golden");
        Files.writeString(dir.resolve("config.json"), hfConfigJson(c));

        try (NDManager m = NDManager.newBaseManager()) {
            ClipCheckpoint.Loaded loaded = ClipCheckpoint.read(dir);
            assertEquals(c, loaded.config(), "config from config.json");
            ClipModel half = ClipCheckpoint.load(dir, m);
            ClipModel full = ClipCheckpoint.load(Golden.file("hf"), m);
            for (Map.Entry<String, Param> e : full.namedParameters().entrySet()) {
                float[] a = e.getValue().array().toFloatArray();
                float[] b = half.namedParameters().get(e.getKey()).array().toFloatArray();
                for (int k = 0; k < a.length; k++) {
                    assertEquals(a[k], b[k], Math.abs(a[k]) * 1e-2 + 1e-4, e.getKey() + "[" + k + "]");
                }
            }
        }
    }

    @Test
    void configInferredFromShapesWhenNoMetadata(@TempDir Path dir) {
        Path f = dir.resolve("nometa.safetensors");
        SafeTensors.write(f, openai(), Map.of());
        ClipConfig inferred = ClipCheckpoint.read(f).config();
        ClipConfig golden = ClipConfig.fromOpenAiJson(metadata().get("config"), "golden");
        assertEquals(golden.embedDim(), inferred.embedDim());
        assertEquals(golden.imageResolution(), inferred.imageResolution());
        assertEquals(golden.visionLayers(), inferred.visionLayers());
        assertEquals(golden.visionWidth(), inferred.visionWidth());
        assertEquals(golden.visionPatchSize(), inferred.visionPatchSize());
        assertEquals(golden.transformerLayers(), inferred.transformerLayers());
        assertEquals(golden.contextLength(), inferred.contextLength());
        assertEquals(golden.vocabSize(), inferred.vocabSize());
        assertEquals(Math.max(1, golden.transformerWidth() / 64), inferred.transformerHeads(), "OpenAI's rule: width / 64");
    }

    @Test
    void ignoresKnownNonWeightEntries(@TempDir Path dir) {
        Map<String, Tensor> t = new LinkedHashMap<>(openai());
        t.put("input_resolution", Tensor.ofLongs(new long[] {}, new long[] {56}));
        t.put("context_length", Tensor.ofLongs(new long[] {}, new long[] {77}));
        t.put("vocab_size", Tensor.ofLongs(new long[] {}, new long[] {49408}));
        Path f = dir.resolve("extra.safetensors");
        SafeTensors.write(f, t, metadata());
        try (NDManager m = NDManager.newBaseManager()) {
            ClipCheckpoint.load(f, m);
        }
    }

    @Test
    void missingUnexpectedAndMisshapenKeysAreAllListed(@TempDir Path dir) {
        Map<String, Tensor> t = new LinkedHashMap<>(openai());
        t.remove("visual.ln_post.bias");
        t.put("visual.extra_thing", Tensor.ofFloats(new long[] {2}, new float[2]));
        Tensor ln = t.get("ln_final.weight");
        t.put("ln_final.weight", Tensor.ofFloats(new long[] {ln.shape()[0] + 1}, new float[(int) ln.shape()[0] + 1]));
        Path f = dir.resolve("broken.safetensors");
        SafeTensors.write(f, t, metadata());
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ClipCheckpoint.load(f, m));
            String msg = e.getMessage();
            assertTrue(msg.contains("broken.safetensors"), msg);
            assertTrue(msg.contains("missing keys (1)") && msg.contains("visual.ln_post.bias"), msg);
            assertTrue(msg.contains("unexpected keys (1)") && msg.contains("visual.extra_thing"), msg);
            assertTrue(msg.contains("shape mismatches (1)") && msg.contains("ln_final.weight"), msg);
        }
    }

    @Test
    void wrongDtypeIsReported(@TempDir Path dir) {
        Map<String, Tensor> t = new LinkedHashMap<>(openai());
        Tensor w = t.get("visual.class_embedding");
        ByteBuffer b = ByteBuffer.allocate((int) w.numel() * 4).order(ByteOrder.LITTLE_ENDIAN);
        t.put("visual.class_embedding", new Tensor(DType.I32, w.shape(), b));
        Path f = dir.resolve("int.safetensors");
        SafeTensors.write(f, t, metadata());
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ClipCheckpoint.load(f, m));
            assertTrue(e.getMessage().contains("wrong dtypes (1)") && e.getMessage().contains("visual.class_embedding: I32"), e.getMessage());
        }
    }

    @Test
    void truncatedAndNonSafetensorsFiles(@TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(Golden.file("openai"));
        Path truncated = Files.write(dir.resolve("truncated.safetensors"), Arrays.copyOf(bytes, bytes.length - 1000));
        Path text = Files.writeString(dir.resolve("notes.safetensors"), "these are not the weights you are looking for");
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        ByteBuffer junkHeader = ByteBuffer.allocate(8 + 5).order(ByteOrder.LITTLE_ENDIAN);
        junkHeader.putLong(5).put("{{{{{".getBytes());
        Path junk = Files.write(dir.resolve("junk.safetensors"), junkHeader.array());
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ClipCheckpoint.load(truncated, m));
            assertTrue(e.getMessage().contains("truncated.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
            for (Path p : new Path[] {text, empty, junk}) {
                CheckpointException ex = assertThrows(CheckpointException.class, () -> ClipCheckpoint.load(p, m));
                assertTrue(ex.getMessage().contains(p.getFileName().toString()) && ex.getMessage().contains("not a safetensors file"),
                        ex.getMessage());
            }
            CheckpointException none = assertThrows(CheckpointException.class, () -> ClipCheckpoint.load(dir.resolve("absent"), m));
            assertTrue(none.getMessage().contains("no such file"), none.getMessage());
        }
    }

    @Test
    void floatsConvertToHalfAndBfloat16RoundingToNearestEven() {
        float[] v = {1f / 3, 65504f, 65519f, 65520f, -1e-8f, 6e-8f, 1.00048828125f, 1.00146484375f, Float.NaN, 1f + 0x1p-8f, 1f + 0x3p-8f};
        Tensor t = Tensor.ofFloats(new long[] {v.length}, v);
        Tensor half = t.as(DType.F16);
        assertEquals(DType.F16, half.dtype());
        assertArrayEquals(new float[] {0.333251953125f, 65504f, 65504f, Float.POSITIVE_INFINITY, -0f, 0x1p-24f, 1f, 1.001953125f,
                Float.NaN, 1f + 0x1p-8f, 1f + 0x3p-8f}, half.toFloats()); // 1 + 2^-11 and 1 + 3 * 2^-11: ties to even
        Tensor bf16 = t.as(DType.BF16);
        assertArrayEquals(new float[] {0.333984375f, 65536f, 65536f, 65536f, -0x1.58p-27f, 0x1.02p-24f, 1f, 1f, Float.NaN, 1f, 1.015625f},
                bf16.toFloats()); // 1 + 2^-8 and 1 + 3 * 2^-8: ties to even (bfloat16 keeps 7 mantissa bits)
        assertEquals(t, t.as(DType.F32));
        assertThrows(IllegalArgumentException.class, () -> t.as(DType.I64));
    }

    @Test
    void mergedWeightsAreWrittenInTheCheckpointsHalfTypes(@TempDir Path dir) {
        Map<String, Tensor> openai = SafeTensors.readAll(Golden.file("openai"));
        Map<String, Tensor> mixed = new LinkedHashMap<>();
        openai.forEach((k, t) -> mixed.put(k, k.startsWith("visual.") ? t.as(DType.F16) : k.equals("logit_scale") ? t : t.as(DType.BF16)));
        Path base = dir.resolve("half.safetensors");
        SafeTensors.write(base, mixed, SafeTensors.readMetadata(Golden.file("openai")));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipCheckpoint.load(base, m);
            Map<String, DType> types = ClipCheckpoint.halfTypes(base);
            assertEquals(DType.F16, types.get("visual.transformer.resblocks.0.attn.q_proj.weight"), "split q of in_proj: its dtype");
            assertEquals(null, types.get("logit_scale"), "an F32 tensor stays F32");
            Path saved = dir.resolve("merged.safetensors");
            SafeTensors.write(saved, ClipCheckpoint.tensors(model, ClipCheckpoint.Format.OPENAI, types), Map.of());
            Map<String, Tensor> written = SafeTensors.readAll(saved);
            mixed.forEach((k, t) -> {
                assertEquals(t.dtype(), written.get(k).dtype(), k);
                assertArrayEquals(t.toFloats(), written.get(k).toFloats(), k); // loaded exactly, written back exactly
            });
            ClipCheckpoint.tensors(model, ClipCheckpoint.Format.OPENAI).values()
                    .forEach(t -> assertEquals(DType.F32, t.dtype(), "save-dtype fp32: every tensor F32"));
        }
    }

    @Test
    void halfToFloatMatchesKnownValues() {
        assertEquals(1.0f, SafeTensors.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, SafeTensors.halfToFloat((short) 0xc000));
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7bff));
        assertEquals((float) Math.pow(2, -24), SafeTensors.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7e00)));
    }


    private static String hfConfigJson(ClipConfig c) {
        var om = new ObjectMapper();
        var root = om.createObjectNode();
        root.put("projection_dim", c.embedDim());
        var v = root.putObject("vision_config");
        v.put("hidden_size", c.visionWidth());
        v.put("image_size", c.imageResolution());
        v.put("patch_size", c.visionPatchSize());
        v.put("num_hidden_layers", c.visionLayers());
        v.put("num_attention_heads", c.visionHeads());
        v.put("hidden_act", "quick_gelu");
        var t = root.putObject("text_config");
        t.put("hidden_size", c.transformerWidth());
        t.put("max_position_embeddings", c.contextLength());
        t.put("vocab_size", c.vocabSize());
        t.put("num_hidden_layers", c.transformerLayers());
        t.put("num_attention_heads", c.transformerHeads());
        t.put("hidden_act", "quick_gelu");
        return root.toString();
    }
}
