package dev.dacspark.lora;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.golden.GoldenParity;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.GoldenDac;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One DAC training step of the authors' release (../shared/golden/dac-*.io.safetensors): vote
 * counts, losses, gradients of every A and B, and the merged weights. Sizes, module names and
 * settings all come from the golden files.
 */
class DacGoldenTest {
    static List<String> moduleNames() {
        return GoldenDac.moduleNames();
    }

    static DacConfig goldenConfig() {
        return GoldenDac.config();
    }

    @Test
    void modulesAreTheReleasesModules() {
        assertEquals(moduleNames(), ExpertPools.targetModules(
                ClipCheckpoint.read(Golden.file("openai")).config(), goldenConfig()));
    }

    @Test
    void oneTrainingStepMatchesTheRelease() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<GoldenParity.Check> checks = GoldenParity.dacStep(Golden.set(), m);
            // logits, 3 losses, then per module: counts, grad_A, grad_B; then per module: merged_weight
            assertEquals(4 + 4 * moduleNames().size(), checks.size());
            for (String name : moduleNames()) {
                for (String what : List.of(".counts", ".grad_A", ".grad_B", ".merged_weight")) {
                    assertTrue(checks.stream().anyMatch(c -> c.what().equals(name + what)), name + what + " is compared");
                }
            }
            Golden.assertPassed(checks.toArray(GoldenParity.Check[]::new));
        }
    }
}
