package dev.dacspark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;
import dev.dacspark.data.glyphs.GlyphMix;
import dev.dacspark.data.glyphs.GlyphStyle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The settings of contrastive pretraining on generated glyphs ({@code dac.pretrain}, defaults in
 * {@code reference.conf}), typed. Errors name the key and where it was set; relative paths are relative to the
 * config file's directory.
 */
public record PretrainConfig(long seed, ClipConfig model, Data data, Train train, Eval eval, Path checkpoint, Path tokenizer) {

    /** The glyph stream: generator seed, image size, the category weights and styles. */
    public record Data(long seed, int imageSize, GlyphMix mix) {}

    /** Steps, batch, AdamW and its warm-up + cosine schedule, progress lines every logEvery steps. */
    public record Train(int steps, int batchSize, double lr, double lrMin, int warmupSteps, AdamW.Settings adamw, int logEvery) {
        public CosineSchedule schedule() {
            return new CosineSchedule(lr, lrMin, steps, warmupSteps);
        }
    }

    /** The zero-shot measurement after training: styles, images per class (per category and style), batch size. */
    public record Eval(List<GlyphStyle> styles, int imagesPerClass, int batchSize) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Loads a config file over the defaults. */
    public static PretrainConfig load(Path file) {
        return read(Settings.load(file, "pretrain config"));
    }

    /** Reads user settings (without the defaults) whose relative paths are relative to {@code base}. */
    public static PretrainConfig from(Config user, Path base) {
        return read(Settings.of(user, base));
    }

    /** Reads {@code dac.pretrain}. */
    public static PretrainConfig read(Settings settings) {
        Section c = settings.section("dac.pretrain");
        if (c.isNull("model")) {
            throw c.error("model", "is not set: give the architecture (embed_dim, image_resolution, ...)");
        }
        ClipConfig model = ClipConfig.fromHocon(c.config("model"));
        Section d = c.section("data");
        Data data = new Data(d.longValue("seed"), d.positiveInt("image-size"), new GlyphMix(d.nonNegative("digits"),
                d.nonNegative("letters"), d.nonNegative("shapes"), styles(d, "styles")));
        Section t = c.section("train");
        int steps = t.positiveInt("steps");
        double lr = t.positive("lr");
        int warmup = t.intValue("warmup-steps");
        Train train = new Train(steps, t.positiveInt("batch-size"), lr,
                t.doubleIn("lr-min", 0, lr, "lr = " + lr),
                t.check("warmup-steps", warmup, warmup >= 0 && warmup < steps, "in [0, steps = " + steps + ")"),
                AdamW.Settings.read(t), t.positiveInt("log-every"));
        Section e = c.section("eval");
        Eval eval = new Eval(styles(e, "styles"), e.positiveInt("images-per-class"), e.positiveInt("batch-size"));
        return new PretrainConfig(c.longValue("seed"), model, data, train, eval, c.path("checkpoint"), c.path("tokenizer"));
    }

    private static List<GlyphStyle> styles(Section c, String key) {
        List<GlyphStyle> out = new ArrayList<>();
        for (String s : c.nonEmptyStrings(key)) {
            out.add(GlyphStyle.parse(s, c.at(key)));
        }
        return List.copyOf(out);
    }

    /**
     * Everything that decides the checkpoint, as canonical JSON (fixed key order; output paths left out): what
     * the checkpoint's metadata records and {@link #sha256()} hashes.
     */
    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("seed", seed);
        try {
            n.set("model", JSON.readTree(model.toOpenAiJson()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ObjectNode d = n.putObject("data");
        d.put("seed", data.seed());
        d.put("image_size", data.imageSize());
        d.put("digits", data.mix().digits());
        d.put("letters", data.mix().letters());
        d.put("shapes", data.mix().shapes());
        ArrayNode styles = d.putArray("styles");
        data.mix().styles().forEach(s -> styles.add(s.id()));
        ObjectNode t = n.putObject("train");
        t.put("steps", train.steps());
        t.put("batch_size", train.batchSize());
        t.put("lr", train.lr());
        t.put("lr_min", train.lrMin());
        t.put("warmup_steps", train.warmupSteps());
        t.put("weight_decay", train.adamw().weightDecay());
        t.put("beta1", train.adamw().beta1());
        t.put("beta2", train.adamw().beta2());
        t.put("eps", train.adamw().eps());
        ObjectNode e = n.putObject("eval");
        ArrayNode evalStyles = e.putArray("styles");
        eval.styles().forEach(s -> evalStyles.add(s.id()));
        e.put("images_per_class", eval.imagesPerClass());
        return n.toString();
    }

    /** SHA-256 (hex) of {@link #toJson()}. */
    public String sha256() {
        return sha256(toJson().getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
