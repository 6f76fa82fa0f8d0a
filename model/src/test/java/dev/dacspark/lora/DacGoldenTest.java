package dev.dacspark.lora;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Linear;
import dev.dacspark.testing.Golden;
import dev.dacspark.train.DacLoss;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One DAC training step of the authors' release (../shared/golden/dac-*.io.safetensors): vote
 * counts, losses, gradients of every A and B, and the merged weights. Sizes, module names and
 * settings all come from the golden files.
 */
class DacGoldenTest {
    static Map<String, SafeTensors.Tensor> io;
    static JsonNode config;

    @BeforeAll
    static void read() throws IOException {
        io = SafeTensors.readAll(Golden.file("dac"));
        config = new ObjectMapper().readTree(Golden.configJson().toFile());
    }

    /** The method's settings of the golden step (dropout off for determinism). */
    static DacConfig goldenConfig() {
        JsonNode d = config.get("dac");
        DacConfig def = DacConfig.defaults();
        return new DacConfig(d.get("rank").asInt(), d.get("route_top_k").asInt(), d.get("merge_top_k").asInt(),
                d.get("alpha").asDouble(), d.get("dropout").asDouble(), def.targets(), def.encoders(), def.layers(),
                DacConfig.Routing.ROUTED, d.get("ago_weight").asDouble(), DacConfig.AgoMemory.ALL);
    }

    static List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        config.get("module_names").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** The golden CLIP with the golden LoRA state and the earlier task's kept columns. */
    static ExpertPools goldenPools(ClipModel model, TaskMemory memory, NDManager m) {
        ExpertPools pools = ExpertPools.attach(model, goldenConfig());
        for (String name : moduleNames()) {
            ExpertPool pool = pools.pools().get(name);
            pool.loraA.set(Golden.array(io, name + ".lora_A", m));
            pool.loraB.set(Golden.array(io, name + ".lora_B", m));
            pool.router.weight.set(Golden.array(io, name + ".router.weight", m));
            pool.router.bias.set(Golden.array(io, name + ".router.bias", m));
            pool.setTrainable(true);
            if (memory != null) {
                memory.put(name, Golden.array(io, name + ".prev_B", m));
            }
        }
        pools.setTraining(true);
        return pools;
    }

    static NDArray tokens(String key, NDManager m) {
        return m.create(io.get(key).toLongs(), new Shape(io.get(key).shape()));
    }

    @Test
    void modulesAreTheReleasesModules() {
        assertEquals(moduleNames(), ExpertPools.targetModules(
                ClipCheckpoint.read(Golden.file("openai")).config(), goldenConfig()));
    }

    @Test
    void oneTrainingStepMatchesTheRelease() {
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools pools = goldenPools(model, memory, m);
            long[] labels = io.get("labels").toLongs();
            NDArray loss;
            NDArray clipLoss;
            NDArray agoLoss;
            NDArray logitsPerText;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray text = model.encodeText(tokens("class_text", m));
                NDArray image = model.encodeImage(Golden.array(io, "image", m));
                logitsPerText = model.logitsPerImage(text, image); // rows: texts
                clipLoss = DacLoss.clipLoss(logitsPerText, labels);
                agoLoss = DacLoss.agoLoss(pools.pools().values(), memory, m);
                loss = clipLoss.add(agoLoss.mul((float) goldenConfig().agoWeight()));
                gc.backward(loss);
            }
            Golden.assertClose(Golden.array(io, "logits_per_text", m), logitsPerText, 1e-4, 1e-5, "logits_per_text");
            Golden.assertClose(Golden.array(io, "clip_loss", m), clipLoss.reshape(1), 1e-5, 0, "clip_loss");
            Golden.assertClose(Golden.array(io, "ago_loss", m), agoLoss.reshape(1), 1e-5, 0, "ago_loss");
            Golden.assertClose(Golden.array(io, "loss", m), loss.reshape(1), 1e-5, 0, "loss");
            for (String name : moduleNames()) {
                ExpertPool pool = pools.pools().get(name);
                assertArrayEquals(io.get(name + ".counts").toFloats(), pool.counts(), name + ".counts");
                Golden.assertClose(Golden.array(io, name + ".grad_A", m), pool.loraA.array().getGradient(), 1e-5, 0, name + ".grad_A");
                Golden.assertClose(Golden.array(io, name + ".grad_B", m), pool.loraB.array().getGradient(), 1e-5, 0, name + ".grad_B");
            }
            pools.mergeAndDetach(null);
            Map<String, dev.dacspark.clip.Module> modules = model.namedModules();
            for (String name : moduleNames()) {
                Linear linear = (Linear) modules.get(name);
                Golden.assertClose(Golden.array(io, name + ".merged_weight", m), linear.weight.array(), 1e-6, 0, name + ".merged_weight");
            }
        }
    }
}
