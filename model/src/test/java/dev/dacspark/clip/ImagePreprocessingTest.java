package dev.dacspark.clip;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipImageProcessor.Config;
import dev.dacspark.clip.ImagePreprocessing.InkPolarity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.dacspark.clip.TestImages.image;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model's own preprocessing: in its config, in its checkpoint, and what the processor does with it. */
class ImagePreprocessingTest {
    private static final List<Double> HALF = List.of(0.5, 0.5, 0.5);
    private static final ClipConfig SMALL = new ClipConfig(16, 16, 1, 16, 8, 1, 8, 10, 16, 1, 1);

    @Test
    void aModelWithClipsPreprocessingGetsClipsSettings() {
        assertEquals(Config.clip(224), Config.forModel(ClipConfig.named("ViT-B/16")));
        assertEquals(Config.clip(16), Config.forModel(SMALL));
    }

    /** PIL's convert("L") gives 76 for pure red, 150 for green, 29 for blue, 128 for (128, 128, 128). */
    @Test
    void greyscaleIsPilsLuma() {
        int[][] colours = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}};
        int[] luma = {76, 150, 29, 128};
        ClipImageProcessor grey = processor(true, InkPolarity.KEEP);
        for (int k = 0; k < colours.length; k++) {
            int[] colour = colours[k];
            float[] out = grey.eval(image(16, 16, (x, y, c) -> colour[c]));
            for (float v : out) {
                assertEquals((luma[k] / 255f - 0.5f) / 0.5f, v, colours[k][0] + "," + colours[k][1] + "," + colours[k][2]);
            }
        }
    }

    @Test
    void inkPolarityBringsEveryImageToOneConvention() {
        RgbImage darkOnLight = image(16, 16, (x, y, c) -> x == 8 ? 20 : 230);
        RgbImage lightOnDark = image(16, 16, (x, y, c) -> x == 8 ? 235 : 25);
        ClipImageProcessor keep = processor(false, InkPolarity.KEEP);
        ClipImageProcessor light = processor(false, InkPolarity.LIGHT_ON_DARK);
        ClipImageProcessor dark = processor(false, InkPolarity.DARK_ON_LIGHT);
        assertArrayEquals(keep.eval(lightOnDark), light.eval(lightOnDark));
        assertArrayEquals(keep.eval(image(16, 16, (x, y, c) -> 255 - darkOnLight.get(x, y, c))), light.eval(darkOnLight));
        assertArrayEquals(keep.eval(darkOnLight), dark.eval(darkOnLight));
        assertArrayEquals(keep.eval(image(16, 16, (x, y, c) -> 255 - lightOnDark.get(x, y, c))), dark.eval(lightOnDark));
        // the train crop is brought to the convention too
        float[] crop = light.train(darkOnLight, 5);
        assertTrue(crop[0] < 0 && crop[15] < 0, "the crop's background is dark after light-on-dark");
    }

    @Test
    void theModelConfigReadsItFromHoconAndKeepsItInTheCheckpoint(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("model.conf");
        Files.writeString(conf, """
                embed_dim = 16, image_resolution = 16, vision_layers = 1, vision_width = 16, vision_patch_size = 8
                vision_heads = 1, context_length = 8, vocab_size = 10, transformer_width = 16, transformer_heads = 1
                transformer_layers = 1
                preprocessing { greyscale = true, ink_polarity = light-on-dark, mean = [0.5, 0.5, 0.5], std = [0.5, 0.5, 0.5] }
                """);
        ClipConfig config = ClipConfig.fromHocon(ConfigFactory.parseFile(conf.toFile()));
        ImagePreprocessing expected = new ImagePreprocessing(true, InkPolarity.LIGHT_ON_DARK, HALF, HALF);
        assertEquals(SMALL.withPreprocessing(expected), config);
        assertEquals(config, ClipConfig.fromOpenAiJson(config.toOpenAiJson(), "json"));
        assertEquals(new Config(16, expected, 0.9, 1.0, 3.0 / 4, 4.0 / 3), Config.forModel(config));

        Path file = dir.resolve("small.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(config);
            model.initialize(m, 1);
            ClipCheckpoint.save(model, file, ClipCheckpoint.Format.OPENAI, Map.of());
            assertEquals(config, ClipCheckpoint.load(file, m).config());
        }
    }

    @Test
    void badPreprocessingSettingsAreClearErrors(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "name = \"ViT-B/16\"\npreprocessing { grayscale = true }\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClipConfig.fromHocon(ConfigFactory.parseFile(conf.toFile())));
        assertTrue(e.getMessage().contains("bad.conf: 2") && e.getMessage().contains("unknown preprocessing key 'grayscale'"), e.getMessage());
        Files.writeString(conf, "name = \"ViT-B/16\"\npreprocessing { ink_polarity = inverted }\n");
        e = assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromHocon(ConfigFactory.parseFile(conf.toFile())));
        assertTrue(e.getMessage().contains("bad.conf: 2") && e.getMessage().contains("'inverted' is not one of keep, light-on-dark, dark-on-light"),
                e.getMessage());
        Files.writeString(conf, "name = \"ViT-B/16\"\nvision_width = 3\n");
        e = assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromHocon(ConfigFactory.parseFile(conf.toFile())));
        assertTrue(e.getMessage().contains("unknown model key 'vision_width'"), e.getMessage());
    }

    private static ClipImageProcessor processor(boolean greyscale, InkPolarity polarity) {
        return new ClipImageProcessor(Config.forModel(SMALL.withPreprocessing(new ImagePreprocessing(greyscale, polarity, HALF, HALF))));
    }
}
