package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Our CLIP reproduces the reference implementation's outputs from either checkpoint naming. */
class ClipGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"openai", "hf"})
    void reproducesReferenceOutputs(String naming) {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("io"));
        try (NDManager manager = NDManager.newBaseManager()) {
            ClipCheckpoint.Loaded loaded = ClipCheckpoint.read(Golden.file(naming));
            assertEquals(naming.equals("hf") ? ClipCheckpoint.Format.HUGGINGFACE : ClipCheckpoint.Format.OPENAI, loaded.format());
            ClipModel model = ClipCheckpoint.load(Golden.file(naming), manager);

            NDArray image = Golden.array(io, "image", manager);
            NDArray text = manager.create(io.get("text").toLongs(), new ai.djl.ndarray.types.Shape(io.get("text").shape()));
            NDArray imageFeatures = model.encodeImage(image);
            NDArray textFeatures = model.encodeText(text);
            NDArray logits = model.logitsPerImage(imageFeatures, textFeatures);

            Golden.assertClose(Golden.array(io, "image_features", manager), imageFeatures, 1e-4, 1e-5, naming + " image_features");
            Golden.assertClose(Golden.array(io, "text_features", manager), textFeatures, 1e-4, 1e-5, naming + " text_features");
            Golden.assertClose(Golden.array(io, "logits_per_image", manager), logits, 1e-4, 1e-5, naming + " logits_per_image");
        }
    }
}
