package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Linear;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.GoldenDac;
import dev.dacspark.train.DacStep;
import org.junit.jupiter.api.Test;

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
    static final Map<String, SafeTensors.Tensor> io = GoldenDac.io();

    static List<String> moduleNames() {
        return GoldenDac.moduleNames();
    }

    static DacConfig goldenConfig() {
        return GoldenDac.config();
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
            ExpertPools pools = GoldenDac.pools(model, memory, m);
            DacStep.Losses losses = DacStep.forwardBackward(model, pools, memory, Golden.array(io, "image", m),
                    tokens("class_text", m), io.get("labels").toLongs());
            Golden.assertClose(Golden.array(io, "logits_per_text", m), losses.logitsPerText(), 1e-4, 1e-5, "logits_per_text");
            assertEquals(io.get("clip_loss").toFloats()[0], losses.clip(), 1e-5, "clip_loss");
            assertEquals(io.get("ago_loss").toFloats()[0], losses.ago(), 1e-5, "ago_loss");
            assertEquals(io.get("loss").toFloats()[0], losses.loss(), 1e-5, "loss");
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
