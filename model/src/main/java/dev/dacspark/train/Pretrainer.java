package dev.dacspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.WordLevelVocabulary;
import dev.dacspark.data.Seeds;
import dev.dacspark.data.Split;
import dev.dacspark.data.glyphs.Category;
import dev.dacspark.data.glyphs.GlyphCaptions;
import dev.dacspark.data.glyphs.GlyphGenerator;
import dev.dacspark.data.glyphs.GlyphStyle;
import dev.dacspark.data.glyphs.GlyphTask;
import dev.dacspark.eval.ZeroShotClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Full-parameter contrastive pretraining of a small CLIP on generated glyphs ({@link PretrainConfig}):
 * <ol>
 *   <li>the word-level vocabulary of every caption and zero-shot prompt ({@link GlyphCaptions#all()}) is written
 *       as {@code tokenizer.json}; the model's {@code vocab_size} must equal its size, and every caption must fit
 *       the context without unknown words;</li>
 *   <li>the model is initialised from the seed ({@link ClipModel#initialize}) and every parameter trained;</li>
 *   <li>step t draws the images {@code t * batch .. (t + 1) * batch - 1} of the generator's mix (each a function of
 *       the data seed and its index), preprocessed with the model's own preprocessing
 *       ({@link ClipImageProcessor.Config#forModel}), and takes one AdamW step (warm-up, then cosine) on the
 *       release's soft-target symmetric contrastive loss ({@link DacLoss#clipLoss}) with the class as label:
 *       images of one class in a batch are shared positives, as their captions name the same class;</li>
 *   <li>zero-shot top-1 is measured per evaluation style and category on fresh images of a held-out seed
 *       ({@link #zeroShot}), and the checkpoint is written with its provenance in the metadata: the settings
 *       ({@code pretrain}, as {@link PretrainConfig#toJson()}) and their SHA-256, generator seed, steps, images
 *       seen, the final loss, the accuracies and the tokenizer's SHA-256.</li>
 * </ol>
 * Deterministic on CPU (with {@code MKL_CBWR=AUTO,STRICT}): the same settings give the same bytes.
 */
public final class Pretrainer {
    private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a run measured: zero-shot top-1 (%) by style and category, the last step's loss, the wall time. */
    public record Result(Map<GlyphStyle, Map<Category, Double>> zeroShot, float finalLoss, double seconds) {}

    private final PretrainConfig config;
    private final NDManager manager;

    public Pretrainer(PretrainConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    /** Trains, measures and writes the tokenizer and the checkpoint. */
    public Result run() {
        long start = System.nanoTime();
        WordLevelVocabulary vocabulary = WordLevelVocabulary.of(GlyphCaptions.all());
        if (vocabulary.size() != config.model().vocabSize()) {
            throw new IllegalArgumentException("dac.pretrain.model.vocab_size = " + config.model().vocabSize()
                    + ", but the captions' word-level vocabulary has " + vocabulary.size() + " tokens: set vocab_size = "
                    + vocabulary.size());
        }
        vocabulary.write(config.tokenizer());
        PretrainConfig.Train train = config.train();
        try (ClipTokenizer tokenizer = ClipTokenizer.load(config.tokenizer(), config.model().contextLength());
                NDManager m = manager.newSubManager()) {
            Map<String, long[]> captionTokens = encodeCaptions(tokenizer, vocabulary);
            ClipModel model = new ClipModel(config.model());
            model.initialize(m, config.seed());
            model.setTrainable(true);
            Map<String, Param> params = model.namedParameters();
            ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(config.model()));
            GlyphGenerator generator = new GlyphGenerator(config.data().seed(), config.data().imageSize());
            AdamW optimizer = new AdamW(train.adamw(), m);
            CosineSchedule schedule = train.schedule();
            LOG.info("pretrain: {} ({} parameters), {} steps at batch {}, lr {} (warm-up {}), data seed {}", config.model(),
                    model.parameterCount(), train.steps(), train.batchSize(), train.lr(), train.warmupSteps(), config.data().seed());

            Progress progress = new Progress(train.steps());
            float loss = Float.NaN;
            int b = train.batchSize();
            int context = config.model().contextLength();
            int res = config.model().imageResolution();
            for (int t = 0; t < train.steps(); t++) {
                float[] pixels = new float[b * processor.imageLength()];
                long[] labels = new long[b];
                long[] tokens = new long[b * context];
                long first = (long) t * b;
                IntStream.range(0, b).parallel().forEach(i -> {
                    GlyphGenerator.Sample s = generator.sample(config.data().mix(), first + i);
                    processor.evalInto(s.image(), pixels, i * processor.imageLength());
                    labels[i] = s.glyph().globalLabel();
                    System.arraycopy(captionTokens.get(s.caption()), 0, tokens, i * context, context);
                });
                try (NDScope scope = new NDScope()) {
                    NDArray images = HostTransfers.float32(m, pixels, new Shape(b, 3, res, res));
                    NDArray text = HostTransfers.int64(m, tokens, new Shape(b, context));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logitsPerText = model.scaledProducts(ClipModel.normalize(model.encodeText(text)),
                                ClipModel.normalize(model.encodeImage(images)));
                        NDArray l = DacLoss.clipLoss(logitsPerText, labels);
                        gc.backward(l);
                        loss = HostTransfers.floats(l)[0];
                    }
                    if (!Float.isFinite(loss)) {
                        throw new IllegalStateException("pretraining diverged: the loss is " + loss + " at step " + (t + 1) + "/"
                                + train.steps() + " (lr " + schedule.lr(t) + "); no checkpoint was written");
                    }
                    optimizer.step(params, AdamW.gradients(params), schedule.lr(t));
                }
                if ((t + 1) % train.logEvery() == 0 || t + 1 == train.steps()) {
                    LOG.info("pretrain: step {}/{} loss {} lr {} | {}", t + 1, train.steps(),
                            String.format(Locale.ROOT, "%.4f", loss), String.format(Locale.ROOT, "%.2e", schedule.lr(t)),
                            progress.at(t + 1));
                }
            }
            model.setTrainable(false);
            Map<GlyphStyle, Map<Category, Double>> accuracies = zeroShot(model, tokenizer, config, m);
            LOG.info("pretrain: zero-shot top-1 (%): {}", accuracies);
            ClipCheckpoint.save(model, config.checkpoint(), ClipCheckpoint.Format.OPENAI, metadata(accuracies, loss));
            return new Result(accuracies, loss, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Token ids of every caption, checked: no unknown word, nothing cut by the context. */
    private Map<String, long[]> encodeCaptions(ClipTokenizer tokenizer, WordLevelVocabulary vocabulary) {
        long unknown = vocabulary.id(WordLevelVocabulary.UNKNOWN);
        Map<String, long[]> out = new HashMap<>();
        for (String caption : GlyphCaptions.all()) {
            int length = WordLevelVocabulary.words(caption).size() + 2;
            if (length > config.model().contextLength()) {
                throw new IllegalArgumentException("dac.pretrain.model.context_length = " + config.model().contextLength()
                        + " is too short for the caption '" + caption + "' (" + length + " tokens with start and end)");
            }
            long[] ids = tokenizer.encode(caption);
            for (long id : ids) {
                if (id == unknown) {
                    throw new IllegalStateException("the tokenizer does not know a word of '" + caption + "'");
                }
            }
            out.put(caption, ids);
        }
        return out;
    }

    /**
     * Zero-shot top-1 (%) of a model per evaluation style and category: {@code images-per-class} images of every
     * class, from a generator whose seed is derived from the data seed (so none is a training image), classified
     * against {@link GlyphCaptions}' class names and templates.
     */
    public static Map<GlyphStyle, Map<Category, Double>> zeroShot(ClipModel model, ClipTokenizer tokenizer,
            PretrainConfig config, NDManager manager) {
        GlyphGenerator heldOut = new GlyphGenerator(Seeds.mix(config.data().seed(), 1), config.data().imageSize());
        ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config()));
        Map<GlyphStyle, Map<Category, Double>> out = new LinkedHashMap<>();
        try (ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, manager, config.eval().batchSize())) {
            for (GlyphStyle style : config.eval().styles()) {
                Map<Category, Double> row = new LinkedHashMap<>();
                for (Category category : Category.PRETRAINED) {
                    GlyphTask task = new GlyphTask(style.id() + "-" + category.id(), category, style, 0,
                            config.eval().imagesPerClass(), heldOut);
                    row.put(category, classifier.accuracy(task.samples(Split.TEST), task.classNames(), task.templates(), processor));
                }
                out.put(style, row);
            }
        }
        return out;
    }

    /** The zero-shot accuracies as JSON: {"style": {"digit": %, "letter": %, "shape": %}, ...}. */
    public static String zeroShotJson(Map<GlyphStyle, Map<Category, Double>> accuracies) {
        ObjectNode n = JSON.createObjectNode();
        accuracies.forEach((style, row) -> {
            ObjectNode r = n.putObject(style.id());
            row.forEach((category, acc) -> r.put(category.id(), acc));
        });
        return n.toString();
    }

    private Map<String, String> metadata(Map<GlyphStyle, Map<Category, Double>> accuracies, float loss) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("pretrain", config.toJson());
        md.put("pretrain_sha256", config.sha256());
        md.put("generator_seed", Long.toString(config.data().seed()));
        md.put("steps", Integer.toString(config.train().steps()));
        md.put("images_seen", Long.toString((long) config.train().steps() * config.train().batchSize()));
        md.put("final_loss", Float.toString(loss));
        md.put("zero_shot", zeroShotJson(accuracies));
        try {
            md.put("tokenizer_sha256", PretrainConfig.sha256(Files.readAllBytes(config.tokenizer())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + config.tokenizer() + ": " + e.getMessage(), e);
        }
        return md;
    }
}
