package dev.dacspark.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ZeroShotClassifierTest {
    private static final List<String> CLASSES = List.of("cat", "golden retriever", "airplane", "7", "dog");
    private static final List<String> TEMPLATES = List.of("a photo of a {}.", "a bad photo of the {}.", "art of a {}.");

    @Test
    void classEmbeddingsAreTheNormalisedMeanOfNormalisedPromptEmbeddings() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
            try (ClipTokenizer tok = ClipTokenizer.load(Golden.shared().resolve("clip/tokenizer.json"), model.config().contextLength());
                    ZeroShotClassifier zs = new ZeroShotClassifier(model, tok, m, 4)) {
                NDArray emb = zs.classEmbeddings(CLASSES, TEMPLATES);
                assertEquals(new Shape(CLASSES.size(), model.config().embedDim()), emb.getShape());
                assertSame(emb, zs.classEmbeddings(CLASSES, TEMPLATES), "cached");
                for (int c = 0; c < CLASSES.size(); c++) {
                    NDArray sum = null;
                    for (String t : TEMPLATES) {
                        NDArray tokens = m.create(tok.encode(ZeroShotClassifier.prompt(t, CLASSES.get(c))), new Shape(1, tok.contextLength()));
                        NDArray e = ClipModel.normalize(model.encodeText(tokens));
                        sum = sum == null ? e : sum.add(e);
                    }
                    NDArray expected = ClipModel.normalize(sum.div(TEMPLATES.size()));
                    Golden.assertClose(expected, emb.get(c).reshape(1, -1), 1e-5, 1e-5, "class " + CLASSES.get(c));
                }
                // predictions are the argmax of 100 * cosine, computed independently here
                NDArray images = Golden.array(SafeTensors.readAll(Golden.file("io")), "image", m);
                NDArray cos = ClipModel.normalize(model.encodeImage(images)).matMul(emb.transpose());
                Golden.assertClose(cos.mul(100), zs.logits(images, emb), 1e-4, 1e-5, "logits");
                assertArrayEquals(cos.argMax(1).toLongArray(), zs.predict(images, emb));
            }
        }
    }

    @Test
    void templatesWithoutPlaceholderAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> ZeroShotClassifier.prompt("a photo.", "cat"));
        assertEquals("template 'a photo.' has no '{}' for the class name", e.getMessage());
    }
}
