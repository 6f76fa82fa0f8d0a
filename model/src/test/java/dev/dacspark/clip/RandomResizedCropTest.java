package dev.dacspark.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dacspark.clip.RandomResizedCrop.Box;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** torchvision's {@code RandomResizedCrop.get_params} box choice, seeded; and the crop + resize. */
class RandomResizedCropTest {

    private static final double MIN_SCALE = 0.9;
    private static final double MAX_SCALE = 1.0;
    private static final double MIN_RATIO = 3.0 / 4.0;
    private static final double MAX_RATIO = 4.0 / 3.0;

    private final RandomResizedCrop crop = new RandomResizedCrop(224, MIN_SCALE, MAX_SCALE, MIN_RATIO, MAX_RATIO);

    @Test
    void sameSeedGivesTheSameCrop() {
        RgbImage image = randomImage(120, 90, 1);
        for (long seed : new long[] {0, 1, -7, Long.MAX_VALUE}) {
            assertEquals(crop.sampleBox(500, 375, seed), crop.sampleBox(500, 375, seed));
            assertArrayEquals(crop.apply(image, seed).data(), crop.apply(image, seed).data());
        }
    }

    /**
     * At scale 0.9..1 a 4:3 image only fits crops of ratio above 1.2, so about a third of the seeds exhaust the 10
     * attempts and share torchvision's fallback (the whole image); the others are nearly all distinct.
     */
    @Test
    void differentSeedsGiveDifferentCrops() {
        Set<Box> boxes = new HashSet<>();
        for (long seed = 0; seed < 50; seed++) {
            boxes.add(crop.sampleBox(500, 375, seed));
        }
        assertTrue(boxes.size() >= 25, "only " + boxes.size() + " distinct boxes from 50 seeds");
        RgbImage image = randomImage(120, 90, 2);
        long other = 1;
        while (crop.sampleBox(120, 90, other).equals(crop.sampleBox(120, 90, 0))) {
            other++;
        }
        assertFalse(Arrays.equals(crop.apply(image, 0).data(), crop.apply(image, other).data()));
    }

    /**
     * Over many seeds every box lies inside the image, and its area and aspect ratio are within the ranges up to the
     * rounding of w and h (each within half a pixel of its real value, which bounds the error of w * h and w / h).
     * The ranges are also used: the area spans nearly [0.9, 1], and on a square image ratios fall on both sides of 1.
     */
    @Test
    void boxesRespectScaleAndRatioBounds() {
        int[][] sizes = {{500, 375}, {375, 500}, {224, 224}, {37, 53}, {640, 480}};
        for (int[] size : sizes) {
            int width = size[0];
            int height = size[1];
            double area = (double) width * height;
            double minArea = Double.MAX_VALUE;
            double maxArea = 0;
            boolean wider = false;
            boolean taller = false;
            for (long seed = 0; seed < 2000; seed++) {
                Box box = crop.sampleBox(width, height, seed);
                String what = width + "x" + height + " seed " + seed + ": " + box;
                int w = box.width();
                int h = box.height();
                assertTrue(box.left() >= 0 && box.top() >= 0 && w > 0 && h > 0, what);
                assertTrue(box.left() + w <= width && box.top() + h <= height, what);
                double slack = 0.5 * (w + h + 1);
                assertTrue(w * h >= MIN_SCALE * area - slack && w * h <= MAX_SCALE * area + slack + 0.25, what);
                assertTrue((w + 0.5) / (h - 0.5) >= MIN_RATIO && (w - 0.5) / (h + 0.5) <= MAX_RATIO, what);
                minArea = Math.min(minArea, w * h / area);
                maxArea = Math.max(maxArea, w * h / area);
                wider |= w > h;
                taller |= h > w;
            }
            if (width >= 224) {
                assertTrue(minArea < 0.91 && maxArea > 0.98, width + "x" + height + ": area " + minArea + ".." + maxArea);
            }
            if (width == height) {
                // A 4:3 image only fits crops wider than 1.2 at these scales; a square one fits both sides of 1.
                assertTrue(wider && taller, width + "x" + height + ": ratios only on one side of 1");
            }
        }
    }

    /** Offsets are uniform over the inclusive range [0, H - h] and [0, W - w]: both ends occur. */
    @Test
    void placementsReachBothEdges() {
        int width = 500;
        int height = 375;
        boolean top = false;
        boolean bottom = false;
        boolean left = false;
        boolean right = false;
        for (long seed = 0; seed < 3000; seed++) {
            Box box = crop.sampleBox(width, height, seed);
            top |= box.top() == 0 && box.height() < height;
            bottom |= box.top() + box.height() == height && box.top() > 0;
            left |= box.left() == 0 && box.width() < width;
            right |= box.left() + box.width() == width && box.left() > 0;
        }
        assertTrue(top && bottom && left && right, "edges reached: " + top + bottom + left + right);
    }

    /**
     * No attempt fits a 1000x20 strip (h = sqrt(area / ratio) is far above 20), so torchvision falls back to the
     * full height with the widest allowed ratio, centred with floor division; likewise for a tall strip.
     */
    @Test
    void stripsFallBackToACentredBoxAtTheRatioLimit() {
        int narrow = (int) Math.rint(20 * MAX_RATIO);
        int tall = (int) Math.rint(20 / MIN_RATIO);
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(new Box(0, (1000 - narrow) / 2, 20, narrow), crop.sampleBox(1000, 20, seed));
            assertEquals(new Box((1000 - tall) / 2, 0, tall, 20), crop.sampleBox(20, 1000, seed));
        }
    }

    @Test
    void applyGivesASquareOfTheOutputSize() {
        int[][] sizes = {{37, 53}, {1, 1}, {2, 3}, {1000, 20}};
        for (int[] size : sizes) {
            RgbImage image = randomImage(size[0], size[1], size[0]);
            RgbImage out = crop.apply(image, 3);
            assertEquals(224, out.width());
            assertEquals(224, out.height());
        }
    }

    /** The generator is SplitMix64: its longs are those of {@link SplittableRandom}, on every JVM. */
    @Test
    void generatorIsSplitMix64() {
        for (long seed : new long[] {0, 42, -1, 0x5DEECE66DL}) {
            RandomResizedCrop.SplitMix64 ours = new RandomResizedCrop.SplitMix64(seed);
            SplittableRandom reference = new SplittableRandom(seed);
            for (int i = 0; i < 100; i++) {
                assertEquals(reference.nextLong(), ours.nextLong(), "seed " + seed + " draw " + i);
            }
        }
        RandomResizedCrop.SplitMix64 draws = new RandomResizedCrop.SplitMix64(9);
        for (int i = 0; i < 10_000; i++) {
            double u = draws.uniform(0.9, 1.0);
            int n = draws.nextInt(7);
            assertTrue(u >= 0.9 && u < 1.0, "uniform " + u);
            assertTrue(n >= 0 && n < 7, "nextInt " + n);
        }
    }

    @Test
    void rejectsInvalidSettings() {
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0, 0.9, 1, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0, 1, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0.9, 1, 1.4, 1.33));
        assertThrows(IllegalArgumentException.class, () -> crop.sampleBox(0, 10, 1));
    }

    private static RgbImage randomImage(int width, int height, long seed) {
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        return new RgbImage(width, height, rgb);
    }
}
