package dev.dacspark.clip;

import static dev.dacspark.clip.TestImages.image;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bicubic resize under the transforms ({@link BicubicResampler}, PIL's {@code Image.resize(..., BICUBIC)}). */
class ClipImageProcessorResizeTest {

    private final Random random = new Random(11);

    @Test
    void sameSizeIsIdentity() {
        RgbImage image = randomImage(29, 17);
        assertArrayEquals(image.data(), BicubicResampler.resize(image, 29, 17).data());
    }

    @Test
    void constantImageStaysConstantAtAnySize() {
        int[][] sizes = {{1, 1, 224, 224}, {1000, 20, 7, 300}, {37, 53, 224, 320}, {640, 480, 13, 5}, {2, 3, 1, 1}};
        for (int[] s : sizes) {
            RgbImage image = image(s[0], s[1], (x, y, c) -> 40 + 70 * c);
            RgbImage out = BicubicResampler.resize(image, s[2], s[3]);
            for (int y = 0; y < s[3]; y++) {
                for (int x = 0; x < s[2]; x++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(40 + 70 * c, out.get(x, y, c), s[0] + "x" + s[1] + " -> " + s[2] + "x" + s[3]);
                    }
                }
            }
        }
    }

    /**
     * Halving a linear ramp: the stretched kernel is symmetric about the centre of each source pair, so away from
     * the borders the output is the pair's average (up to rounding), along either axis.
     */
    @Test
    void downscaleByTwoOfARampIsThePairAverage() {
        RgbImage horizontal = image(64, 6, (x, y, c) -> 3 * x + 10 + c);
        RgbImage vertical = image(6, 64, (x, y, c) -> 3 * y + 10 + c);
        RgbImage h = BicubicResampler.resize(horizontal, 32, 6);
        RgbImage v = BicubicResampler.resize(vertical, 6, 32);
        for (int i = 3; i < 29; i++) {
            for (int c = 0; c < 3; c++) {
                double average = 3 * (2 * i + 0.5) + 10 + c;
                assertTrue(Math.abs(h.get(i, 2, c) - average) <= 0.5, "column " + i + ": " + h.get(i, 2, c));
                assertTrue(Math.abs(v.get(2, i, c) - average) <= 0.5, "row " + i + ": " + v.get(2, i, c));
            }
        }
    }

    /**
     * Keys' cubic reproduces linear functions: an upscaled ramp stays on the ramp inside the image. The x slope
     * makes the horizontal pass land on whole levels, so only the final rounding (half a level) remains.
     */
    @Test
    void upscaleOfARampStaysOnTheRamp() {
        RgbImage ramp = image(16, 16, (x, y, c) -> 10 * x + 5 * y + 10);
        RgbImage out = BicubicResampler.resize(ramp, 40, 56);
        for (int y = 10; y < 46; y++) {
            for (int x = 8; x < 32; x++) {
                double sourceX = (x + 0.5) * 16 / 40 - 0.5;
                double sourceY = (y + 0.5) * 16 / 56 - 0.5;
                double expected = 10 * sourceX + 5 * sourceY + 10;
                assertTrue(Math.abs(out.get(x, y, 0) - expected) <= 0.5 + 1e-3,
                        "(" + x + ", " + y + ") is " + out.get(x, y, 0) + ", ramp gives " + expected);
            }
        }
    }

    /**
     * One-axis resizes of noise against PIL's resampling written out directly in double precision: every source
     * pixel {@code i} weighs {@code cubic((i + 0.5 - centre) / max(1, scale))}, weights normalised, result rounded
     * and clamped. The implementation uses 22-bit fixed-point weights, so values may differ by one level.
     */
    @Test
    void singleAxisResizeMatchesTheFilterDefinition() {
        RgbImage image = randomImage(97, 61);
        int[][] sizes = {{40, 61}, {224, 61}, {97, 20}, {97, 150}, {1, 61}, {97, 1}, {13, 61}};
        for (int[] size : sizes) {
            RgbImage out = BicubicResampler.resize(image, size[0], size[1]);
            boolean horizontal = size[0] != image.width();
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) {
                    for (int c = 0; c < 3; c++) {
                        int expected = horizontal
                                ? direct(image, x, y, c, true, size[0])
                                : direct(image, y, x, c, false, size[1]);
                        int actual = out.get(x, y, c);
                        assertTrue(Math.abs(actual - expected) <= 1, "97x61 -> " + size[0] + "x" + size[1] + " at ("
                                + x + ", " + y + ", " + c + "): " + actual + " vs definition " + expected);
                    }
                }
            }
        }
    }

    @Test
    void windowIsTheCropOfTheFullResize() {
        RgbImage image = randomImage(83, 47);
        // {outWidth, outHeight, left, top, width, height}
        int[][] cases = {{50, 30, 7, 3, 20, 25}, {224, 127, 50, 0, 124, 127}, {83, 100, 0, 11, 83, 40},
            {60, 47, 5, 9, 1, 1}};
        for (int[] k : cases) {
            RgbImage full = BicubicResampler.resize(image, k[0], k[1]);
            RgbImage window = BicubicResampler.resizeWindow(image, k[0], k[1], k[2], k[3], k[4], k[5]);
            assertArrayEquals(full.crop(k[2], k[3], k[4], k[5]).data(), window.data(), Arrays.toString(k));
        }
    }

    // ---- helpers ----

    /** Output {@code o} of resizing along one axis (x if horizontal, else y) to {@code outSize}, at line {@code line}. */
    private static int direct(RgbImage image, int o, int line, int c, boolean horizontal, int outSize) {
        int inSize = horizontal ? image.width() : image.height();
        double scale = (double) inSize / outSize;
        double stretch = Math.max(1.0, scale);
        double centre = (o + 0.5) * scale;
        double sum = 0;
        double weights = 0;
        for (int i = 0; i < inSize; i++) {
            double w = keys((i + 0.5 - centre) / stretch);
            sum += w * (horizontal ? image.get(i, line, c) : image.get(line, i, c));
            weights += w;
        }
        long rounded = Math.round(sum / weights);
        return (int) Math.max(0, Math.min(255, rounded));
    }

    /** Keys' cubic convolution kernel, a = -0.5, in its textbook form. */
    private static double keys(double x) {
        double a = -0.5;
        double t = Math.abs(x);
        if (t <= 1) {
            return (a + 2) * t * t * t - (a + 3) * t * t + 1;
        }
        if (t < 2) {
            return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
        }
        return 0;
    }

    private RgbImage randomImage(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        random.nextBytes(rgb);
        return new RgbImage(width, height, rgb);
    }
}
