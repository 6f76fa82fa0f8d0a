package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Param;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.GoldenDac;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEFT LoRA adapters: the one PEFT wrote for the golden CLIP, and a task's merged experts exported as one. */
class PeftAdapterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path goldenAdapter() {
        return Golden.dir().resolve("peft-" + Golden.config());
    }

    @Test
    void peftsOwnAdapterAppliedToTheGoldenClipReproducesPeftsOutputs() {
        PeftAdapter adapter = PeftAdapter.read(goldenAdapter());
        assertEquals(4, adapter.rank());
        assertEquals(24, adapter.modules().size());
        assertTrue(adapter.modules().containsKey("visual.transformer.resblocks.0.attn.proj"), adapter.modules().keySet().toString());
        Map<String, Tensor> io = SafeTensors.readAll(Golden.file("io"));
        Map<String, Tensor> expected = SafeTensors.readAll(goldenAdapter().resolve("peft-" + Golden.config() + ".io.safetensors"));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipCheckpoint.load(Golden.file("hf"), m);
            float[] before = model.namedParameters().get("transformer.resblocks.0.mlp.c_fc.weight").array().toFloatArray();
            adapter.applyTo(model);
            NDArray image = ClipModel.normalize(model.encodeImage(Golden.array(io, "image", m)));
            NDArray text = ClipModel.normalize(model.encodeText(m.create(io.get("text").toLongs(), new Shape(io.get("text").shape()))));
            Golden.assertClose(Golden.array(expected, "image_embeds", m), image, 1e-5, 0, "image_embeds");
            Golden.assertClose(Golden.array(expected, "text_embeds", m), text, 1e-5, 0, "text_embeds");
            Golden.assertClose(Golden.array(expected, "logits_per_image", m), model.scaledProducts(image, text), 1e-5, 1e-6,
                    "logits_per_image");
            assertTrue(maxDiff(before, model.namedParameters().get("transformer.resblocks.0.mlp.c_fc.weight").array().toFloatArray()) > 1e-4,
                    "the adapter changed the weights");
        }
    }

    @Test
    void aTasksMergedExpertsAsAnAdapterTurnTheStartingModelIntoTheMergedOne(@TempDir Path dir) throws IOException {
        Map<String, Tensor> dac = GoldenDac.io();
        try (NDManager m = NDManager.newBaseManager()) {
            // the golden DAC step's state as a trained task: its pools, its vote counts, the merge
            ClipModel merged = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools pools = GoldenDac.pools(merged, null, m);
            for (ExpertPool pool : pools.pools().values()) {
                pool.setCounts(dac.get(pool.name() + ".counts").toFloats());
            }
            Map<String, Tensor> lora = LoraState.tensors(pools);
            pools.mergeAndDetach(null);

            PeftAdapter adapter = PeftAdapter.ofMergedExperts(lora, GoldenDac.config().scaling(), "golden lora");
            assertEquals(GoldenDac.config().mergeTopK(), adapter.rank());
            assertEquals(GoldenDac.config().scaling(), adapter.scaling(), 1e-15, "PEFT's lora_alpha / r is DAC's s");
            adapter.write(dir, merged.config(), "/models/start", "# adapter\n");
            PeftAdapter read = PeftAdapter.read(dir);
            for (PeftAdapter a : List.of(adapter, read)) {
                ClipModel start = ClipCheckpoint.load(Golden.file("openai"), m);
                a.applyTo(start);
                int changed = 0;
                for (Map.Entry<String, Param> e : merged.namedParameters().entrySet()) {
                    float[] want = e.getValue().array().toFloatArray();
                    float[] got = start.namedParameters().get(e.getKey()).array().toFloatArray();
                    assertTrue(maxDiff(want, got) <= 1e-6, e.getKey() + ": " + maxDiff(want, got));
                    changed += e.getKey().endsWith("proj.weight") || e.getKey().endsWith("c_fc.weight") ? 1 : 0;
                }
                assertEquals(24, changed);
            }
            // the golden merge of config-A's README (W0 + s B[:,S] A[S,:]) is what the adapter gives
            ClipModel start = ClipCheckpoint.load(Golden.file("openai"), m);
            read.applyTo(start);
            String q = "visual.transformer.resblocks.0.attn.q_proj";
            assertTrue(maxDiff(dac.get(q + ".merged_weight").toFloats(), start.namedParameters().get(q + ".weight").array().toFloatArray())
                    <= 1e-6);

            // adapter_config.json: PEFT's own fields and values, this adapter's rank, alpha, targets and base
            JsonNode peft = JSON.readTree(goldenAdapter().resolve("adapter_config.json").toFile());
            JsonNode ours = JSON.readTree(dir.resolve("adapter_config.json").toFile());
            List<String> adapterOwn = List.of("r", "lora_alpha", "target_modules", "base_model_name_or_path", "init_lora_weights");
            ours.fieldNames().forEachRemaining(k -> {
                assertTrue(peft.has(k), "PEFT writes no '" + k + "'");
                if (!adapterOwn.contains(k)) {
                    assertEquals(peft.get(k), ours.get(k), k);
                }
            });
            assertEquals(peft.get("r"), ours.get("r"), "golden peft-A has DAC's merge-top-k as rank");
            assertEquals(peft.get("lora_alpha").asDouble(), ours.get("lora_alpha").asDouble(), 1e-15);
            assertEquals(set(peft.get("target_modules")), set(ours.get("target_modules")));
            assertEquals("/models/start", ours.get("base_model_name_or_path").asText());
            Map<String, Tensor> peftWeights = SafeTensors.readAll(goldenAdapter().resolve("adapter_model.safetensors"));
            Map<String, Tensor> ourWeights = SafeTensors.readAll(dir.resolve("adapter_model.safetensors"));
            assertEquals(new TreeSet<>(peftWeights.keySet()), new TreeSet<>(ourWeights.keySet()));
            peftWeights.forEach((k, t) -> assertEquals(List.of(t.shape()[0], t.shape()[1]),
                    List.of(ourWeights.get(k).shape()[0], ourWeights.get(k).shape()[1]), k));
            assertEquals("pt", SafeTensors.readMetadata(dir.resolve("adapter_model.safetensors")).get("format"));
            assertEquals("# adapter\n", Files.readString(dir.resolve("README.md")));
        }
    }

    @Test
    void adaptersOfSomeLayersNameExactlyThoseAndWhatCannotBeAppliedIsRefused(@TempDir Path dir) throws IOException {
        Map<String, Tensor> lora = new java.util.LinkedHashMap<>();
        String q = "visual.transformer.resblocks.1.attn.q_proj";
        lora.put(q + ".lora_A", Tensor.ofFloats(new long[] {3, 128}, new float[3 * 128]));
        lora.put(q + ".lora_B", Tensor.ofFloats(new long[] {128, 3}, new float[128 * 3]));
        lora.put(q + ".merged_experts", Tensor.ofLongs(new long[] {2}, new long[] {2, 0}));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipCheckpoint.load(Golden.file("hf"), m);
            PeftAdapter.ofMergedExperts(lora, 0.5, "one layer").write(dir, model.config(), null, "");
            JsonNode config = JSON.readTree(dir.resolve("adapter_config.json").toFile());
            String regex = config.get("target_modules").asText(); // PEFT matches it in full with Python's re
            assertEquals("^(vision_model\\.encoder\\.layers\\.1\\.self_attn\\.q_proj)$", regex);
            assertTrue(java.util.regex.Pattern.matches(regex, "vision_model.encoder.layers.1.self_attn.q_proj"));
            assertFalse(java.util.regex.Pattern.matches(regex, "vision_model.encoder.layers.11.self_attn.q_proj"));
            assertEquals(1.0, config.get("lora_alpha").asDouble());
            assertTrue(config.get("base_model_name_or_path").isNull());

            Files.writeString(dir.resolve("adapter_config.json"), config.toString().replace("\"use_dora\":false", "\"use_dora\":true"));
            CheckpointException dora = assertThrows(CheckpointException.class, () -> PeftAdapter.read(dir));
            assertTrue(dora.getMessage().contains("adapter_config.json") && dora.getMessage().contains("use_dora"), dora.getMessage());

            lora.put(q + ".merged_experts", Tensor.ofLongs(new long[] {1}, new long[] {3}));
            CheckpointException outside = assertThrows(CheckpointException.class, () -> PeftAdapter.ofMergedExperts(lora, 0.5, "bad.safetensors"));
            assertTrue(outside.getMessage().contains("bad.safetensors") && outside.getMessage().contains("expert 3"), outside.getMessage());
        }
    }

    private static TreeSet<String> set(JsonNode array) {
        TreeSet<String> out = new TreeSet<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
