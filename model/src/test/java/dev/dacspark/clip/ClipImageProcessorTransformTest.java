package dev.dacspark.clip;

import static dev.dacspark.clip.TestImages.image;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dacspark.clip.ClipImageProcessor.Config;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The eval and train transforms end to end: output layout (CHW, {@code 3 x res x res}), normalisation, resize of
 * the shorter side, centre-crop placement and the batch buffer.
 *
 * <p>Expected values come from the definition of {@code ToTensor} + {@code Normalize}:
 * {@code ((float) v / 255f - mean[c]) / std[c]} for the 8-bit value {@code v}.
 */
class ClipImageProcessorTransformTest {

    @TempDir
    Path dir;

    private final Random random = new Random(7);

    @Test
    void constantColourMapsToTheNormalisedConstantEverywhere() {
        ClipImageProcessor processor = new ClipImageProcessor(Config.clipDefaults());
        int[] colour = {200, 100, 50};
        int[][] sizes = {{37, 53}, {1, 1}, {2, 3}, {1000, 20}, {20, 1000}, {224, 224}, {640, 480}};
        for (int[] size : sizes) {
            RgbImage image = image(size[0], size[1], (x, y, c) -> colour[c]);
            String what = size[0] + "x" + size[1];
            assertConstant(processor, processor.eval(image), colour, "eval " + what);
            assertConstant(processor, processor.train(image, 42), colour, "train " + what);
        }
    }

    @Test
    void greyImageGivesThreeEqualChannels() throws IOException {
        BufferedImage grey = new BufferedImage(61, 45, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 45; y++) {
            for (int x = 0; x < 61; x++) {
                grey.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        Path file = dir.resolve("grey.png");
        assertTrue(ImageIO.write(grey, "png", file.toFile()));
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(32));
        RgbImage image = RgbImage.read(file);
        float[][] levels = levels(processor);
        for (float[] out : List.of(processor.eval(image), processor.train(image, 3))) {
            int plane = 32 * 32;
            for (int i = 0; i < plane; i++) {
                int r = level(levels, 0, out[i]);
                assertEquals(r, level(levels, 1, out[plane + i]), "G differs from R at " + i);
                assertEquals(r, level(levels, 2, out[2 * plane + i]), "B differs from R at " + i);
            }
        }
    }

    @Test
    void imageAlreadyAtResolutionIsOnlyNormalised() {
        int res = 48;
        RgbImage image = image(res, res, (x, y, c) -> random.nextInt(256));
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(res));
        // A train crop of scale 1 and ratio 1 is the whole image too.
        ClipImageProcessor wholeCrop = new ClipImageProcessor(
                new Config(res, Config.CLIP_MEAN, Config.CLIP_STD, 1.0, 1.0, 1.0, 1.0));
        float[] expected = normalised(processor, image);
        assertArrayEquals(expected, processor.eval(image));
        assertArrayEquals(expected, wholeCrop.train(image, 99));
    }

    /**
     * 400x100 at res 50: Resize gives 200x50, CenterCrop keeps columns 75..124. A black/white edge at source column
     * 180 lands at resized column 90, i.e. output column 15. The bicubic kernel of a 2x downscale reaches 4 source
     * pixels either side, so output columns up to 12 are pure black and from 17 on pure white.
     */
    @Test
    void centreCropKeepsTheMiddleOfTheResizedImage() {
        int res = 50;
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(res));
        RgbImage wide = image(400, 100, (x, y, c) -> x < 180 ? 0 : 255);
        RgbImage tall = image(100, 400, (x, y, c) -> y < 180 ? 0 : 255);
        float[] w = processor.eval(wide);
        float[] t = processor.eval(tall);
        float[][] levels = levels(processor);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < res; i++) {
                for (int j = 0; j < res; j++) {
                    int expected = i <= 12 ? 0 : i >= 17 ? 255 : -1;
                    if (expected >= 0) {
                        // wide: column i of every row; tall: row i of every column.
                        assertEquals(expected, level(levels, c, w[(c * res + j) * res + i]), "wide col " + i);
                        assertEquals(expected, level(levels, c, t[(c * res + i) * res + j]), "tall row " + i);
                    }
                }
            }
        }
        int edge = level(levels, 0, w[15]);
        assertTrue(edge > 0 && edge < 255, "the edge should fall in output column 15, got level " + edge);
    }

    /**
     * torchvision's CenterCrop offset is {@code int(round((size - res) / 2.0))}, Python rounding half to even:
     * 0.5 -> 0, 1.5 -> 2, 2.5 -> 2. With the short side already at res there is no resize, so the value of
     * output column 0 (source column index * 10) tells the offset directly.
     */
    @Test
    void centreCropOffsetRoundsHalfToEven() {
        int res = 10;
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(res));
        float[][] levels = levels(processor);
        int[][] longSideAndOffset = {{10, 0}, {11, 0}, {12, 1}, {13, 2}, {15, 2}, {17, 4}};
        for (int[] pair : longSideAndOffset) {
            float[] wide = processor.eval(image(pair[0], res, (x, y, c) -> x * 10));
            float[] tall = processor.eval(image(res, pair[0], (x, y, c) -> y * 10));
            assertEquals(pair[1] * 10, level(levels, 0, wide[0]), "left offset for width " + pair[0]);
            assertEquals(pair[1] * 10, level(levels, 0, tall[0]), "top offset for height " + pair[0]);
        }
    }

    /**
     * torchvision sizes the longer side as {@code int(res * long / short)}, truncated: 3x7 at res 5 becomes 5x11
     * (not 5x12), cropped from row 3. A vertical ramp shows which source rows land in the output: Keys' cubic
     * reproduces the ramp, so each output row holds the ramp at its source position (within rounding).
     */
    @Test
    void longerSideIsTruncatedAsTorchvisionComputesIt() {
        int res = 5;
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(res));
        float[][] levels = levels(processor);
        float[] out = processor.eval(image(3, 7, (x, y, c) -> 30 * y + 20));
        int newHeight = (int) (res * 7 / 3.0);
        int top = (int) Math.rint((newHeight - res) / 2.0);
        for (int row = 0; row < res; row++) {
            double sourceY = (top + row + 0.5) * 7 / newHeight - 0.5;
            double expected = 30 * sourceY + 20;
            for (int x = 0; x < res; x++) {
                int actual = level(levels, 0, out[row * res + x]);
                assertTrue(Math.abs(actual - expected) <= 0.5 + 1e-3,
                        "row " + row + " is " + actual + ", the ramp at source row " + sourceY + " is " + expected);
            }
        }
    }

    @Test
    void trainIsTheNormalisedRandomResizedCrop() {
        Config config = Config.clip(40);
        ClipImageProcessor processor = new ClipImageProcessor(config);
        RandomResizedCrop crop = new RandomResizedCrop(40, config.minScale(), config.maxScale(), config.minRatio(),
                config.maxRatio());
        RgbImage image = image(90, 70, (x, y, c) -> random.nextInt(256));
        for (long seed = 0; seed < 5; seed++) {
            RandomResizedCrop.Box box = crop.sampleBox(90, 70, seed);
            RgbImage expected = BicubicResampler.resize(
                    image.crop(box.left(), box.top(), box.width(), box.height()), 40, 40);
            assertArrayEquals(normalised(processor, expected), processor.train(image, seed), "seed " + seed);
        }
    }

    @Test
    void batchMethodsFillOnlyTheirSlot() {
        ClipImageProcessor processor = new ClipImageProcessor(Config.clip(16));
        int n = processor.imageLength();
        assertEquals(3 * 16 * 16, n);
        RgbImage image = image(33, 21, (x, y, c) -> random.nextInt(256));
        float[] batch = new float[3 * n];
        Arrays.fill(batch, Float.NaN);
        processor.evalInto(image, batch, n);
        processor.trainInto(image, 5, batch, 2 * n);
        assertArrayEquals(processor.eval(image), Arrays.copyOfRange(batch, n, 2 * n));
        assertArrayEquals(processor.train(image, 5), Arrays.copyOfRange(batch, 2 * n, 3 * n));
        for (int i = 0; i < n; i++) {
            assertTrue(Float.isNaN(batch[i]), "slot 0 was written at " + i);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> processor.evalInto(image, batch, 2 * n + 1));
        assertThrows(IndexOutOfBoundsException.class, () -> processor.trainInto(image, 1, batch, -1));
    }

    @Test
    void oddTinyAndExtremeSizesGiveFullOutputInRange() {
        ClipImageProcessor processor = new ClipImageProcessor(Config.clipDefaults());
        float[][] levels = levels(processor);
        int[][] sizes = {{37, 53}, {1, 1}, {2, 3}, {1000, 20}, {20, 1000}, {3, 701}};
        for (int[] size : sizes) {
            RgbImage image = image(size[0], size[1], (x, y, c) -> random.nextInt(256));
            for (float[] out : List.of(processor.eval(image), processor.train(image, size[0]))) {
                assertEquals(processor.imageLength(), out.length);
                for (int i = 0; i < out.length; i++) {
                    level(levels, i / (224 * 224), out[i]);
                }
            }
        }
    }

    @Test
    void configRejectsInvalidSettings() {
        List<Double> mean = Config.CLIP_MEAN;
        List<Double> std = Config.CLIP_STD;
        assertThrows(IllegalArgumentException.class, () -> new Config(0, mean, std, 0.9, 1, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new Config(224, List.of(0.5, 0.5), std, 0.9, 1, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class,
                () -> new Config(224, mean, List.of(0.2, 0.0, 0.2), 0.9, 1, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new Config(224, mean, std, 1.0, 0.9, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new Config(224, mean, std, 0.9, 1, 0.0, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new Config(224, mean, std, 0.9, 1, 1.5, 1.33));
    }

    // ---- helpers ----

    /** ToTensor + Normalize of one 8-bit value, in float32 as torchvision computes it. */
    private static float expected(ClipImageProcessor processor, int c, int v) {
        float mean = processor.config().mean().get(c).floatValue();
        float std = processor.config().std().get(c).floatValue();
        return ((float) v / 255f - mean) / std;
    }

    /** {@code table[c][v]} = {@link #expected}{@code (c, v)}; increasing in v, since std is positive. */
    private static float[][] levels(ClipImageProcessor processor) {
        float[][] table = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                table[c][v] = expected(processor, c, v);
            }
        }
        return table;
    }

    /** The 8-bit value whose normalised channel-c value is exactly {@code value}; fails if there is none. */
    private static int level(float[][] levels, int c, float value) {
        int v = Arrays.binarySearch(levels[c], value);
        if (v < 0) {
            throw new AssertionError("channel " + c + " value " + value + " is no normalised 8-bit level");
        }
        return v;
    }

    /** The expected CHW output for an image that is already res x res. */
    private static float[] normalised(ClipImageProcessor processor, RgbImage image) {
        int plane = image.width() * image.height();
        float[] out = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < image.height(); y++) {
                for (int x = 0; x < image.width(); x++) {
                    out[c * plane + y * image.width() + x] = expected(processor, c, image.get(x, y, c));
                }
            }
        }
        return out;
    }

    private static void assertConstant(ClipImageProcessor processor, float[] out, int[] colour, String what) {
        int plane = out.length / 3;
        assertEquals(processor.imageLength(), out.length, what);
        for (int c = 0; c < 3; c++) {
            float expected = expected(processor, c, colour[c]);
            for (int i = 0; i < plane; i++) {
                assertEquals(expected, out[c * plane + i], what + " channel " + c + " at " + i);
            }
        }
    }
}
