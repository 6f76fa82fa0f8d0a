package dev.dacspark.clip;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.golden.GoldenParity;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Our CLIP reproduces the reference implementation's outputs from either checkpoint naming. */
class ClipGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"openai", "hf"})
    void reproducesReferenceOutputs(String naming) {
        ClipCheckpoint.Loaded loaded = ClipCheckpoint.read(Golden.file(naming));
        assertEquals(naming.equals("hf") ? ClipCheckpoint.Format.HUGGINGFACE : ClipCheckpoint.Format.OPENAI, loaded.format());
        try (NDManager manager = NDManager.newBaseManager()) {
            List<GoldenParity.Check> checks = GoldenParity.clipForward(Golden.set(), naming, manager);
            assertEquals(List.of(naming + " image_features", naming + " text_features", naming + " logits_per_image"),
                    checks.stream().map(GoldenParity.Check::what).toList());
            Golden.assertPassed(checks.toArray(GoldenParity.Check[]::new));
        }
    }
}
