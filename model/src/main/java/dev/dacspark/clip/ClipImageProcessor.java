package dev.dacspark.clip;

import java.util.List;
import java.util.Objects;

/**
 * CLIP's image preprocessing, as OpenAI's {@code clip.load} and the DAC release build it with torchvision on PIL
 * images, in pure Java.
 *
 * <ul>
 *   <li>Eval ({@link #eval}): {@code Resize(res, BICUBIC)} (shorter side to {@code res}, longer side to
 *       {@code int(res * long / short)}), {@code CenterCrop(res)} (offsets {@code round((size - res) / 2)}, half
 *       to even), {@code ToTensor}, {@code Normalize(mean, std)}.</li>
 *   <li>Train ({@link #train}): {@link RandomResizedCrop}{@code (res, scale, ratio, BICUBIC)}, {@code ToTensor},
 *       {@code Normalize(mean, std)}.</li>
 * </ul>
 *
 * <p>Input is an {@link RgbImage} (decode with {@link RgbImage#read} or {@link RgbImage#decode}): images are
 * converted to RGB first, as torchvision's dataset loaders do ({@code Image.open(f).convert("RGB")}).
 *
 * <p>Output layout: CHW, channel-major float32, {@code 3 * res * res} values per image; channel {@code c} (R, G,
 * B) of pixel {@code (x, y)} at {@code c * res * res + y * res + x}. A batch is N such blocks back to back
 * ({@code N x 3 x res x res}), so {@link #evalInto} and {@link #trainInto} can fill one array that becomes an
 * NDArray without copies. Values are computed with the float32 operations of {@code ToTensor} and
 * {@code Normalize}, in their order: {@code ((float) v / 255f - mean[c]) / std[c]}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClipImageProcessor {

    /**
     * Preprocessing settings.
     *
     * @param resolution side of the square model input in pixels (224 for ViT-B/16)
     * @param mean per-channel mean (R, G, B) subtracted after scaling to [0, 1]
     * @param std per-channel standard deviation (R, G, B) divided by, all positive
     * @param minScale smallest train crop area, as a fraction of the image area
     * @param maxScale largest train crop area fraction
     * @param minRatio smallest train crop aspect ratio (width / height)
     * @param maxRatio largest train crop aspect ratio
     */
    public record Config(int resolution, List<Double> mean, List<Double> std,
                         double minScale, double maxScale, double minRatio, double maxRatio) implements java.io.Serializable {

        /** CLIP's normalisation mean (R, G, B). */
        public static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
        /** CLIP's normalisation standard deviation (R, G, B). */
        public static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

        public Config {
            if (resolution <= 0) {
                throw new IllegalArgumentException("resolution must be positive, got " + resolution);
            }
            mean = List.copyOf(Objects.requireNonNull(mean, "mean"));
            std = List.copyOf(Objects.requireNonNull(std, "std"));
            if (mean.size() != 3 || std.size() != 3) {
                throw new IllegalArgumentException("mean and std need 3 values (R, G, B), got " + mean + ", " + std);
            }
            for (double s : std) {
                if (!(s > 0 && Double.isFinite(s))) {
                    throw new IllegalArgumentException("std values must be positive, got " + std);
                }
            }
            RandomResizedCrop.checkRanges(minScale, maxScale, minRatio, maxRatio);
        }

        /** CLIP's settings at this resolution: CLIP mean and std, train crop scale (0.9, 1.0), ratio (3/4, 4/3). */
        public static Config clip(int resolution) {
            return new Config(resolution, CLIP_MEAN, CLIP_STD, 0.9, 1.0, 3.0 / 4.0, 4.0 / 3.0);
        }

        /** {@link #clip(int)} at 224 pixels, the input of ViT-B/16. */
        public static Config clipDefaults() {
            return clip(224);
        }
    }

    private final Config config;
    private final RandomResizedCrop trainCrop;
    /** {@code normalised[c][v]}: the output value of channel c for the 8-bit value v. */
    private final float[][] normalised = new float[3][256];

    public ClipImageProcessor(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.trainCrop = new RandomResizedCrop(
                config.resolution(), config.minScale(), config.maxScale(), config.minRatio(), config.maxRatio());
        for (int c = 0; c < 3; c++) {
            float mean = config.mean().get(c).floatValue();
            float std = config.std().get(c).floatValue();
            for (int v = 0; v < 256; v++) {
                normalised[c][v] = ((float) v / 255f - mean) / std;
            }
        }
    }

    public Config config() {
        return config;
    }

    /** Floats per preprocessed image: {@code 3 * res * res}. */
    public int imageLength() {
        return 3 * config.resolution() * config.resolution();
    }

    /** The eval transform of one image, as a new CHW array of {@link #imageLength()} floats. */
    public float[] eval(RgbImage image) {
        float[] out = new float[imageLength()];
        evalInto(image, out, 0);
        return out;
    }

    /** The eval transform written into {@code batch[offset, offset + imageLength())}, CHW. */
    public void evalInto(RgbImage image, float[] batch, int offset) {
        Objects.checkFromIndexSize(offset, imageLength(), batch.length);
        writeNormalised(evalImage(image), batch, offset);
    }

    /** The eval transform's pixels before normalisation: resize the shorter side, then centre crop (res x res). */
    public RgbImage evalImage(RgbImage image) {
        int res = config.resolution();
        int[] resized = resizedSize(image.width(), image.height(), res);
        int left = centerCropOffset(resized[0], res);
        int top = centerCropOffset(resized[1], res);
        return BicubicResampler.resizeWindow(image, resized[0], resized[1], left, top, res, res);
    }

    /**
     * Downscales so that the shorter side is {@code size} (bicubic, torchvision's output size); an image
     * whose shorter side is already at most {@code size} is returned as it is. What the data pipeline
     * stores for training splits: room for a RandomResizedCrop at load time, without upscaling.
     */
    public static RgbImage shrinkShorterSide(RgbImage image, int size) {
        if (Math.min(image.width(), image.height()) <= size) {
            return image;
        }
        int[] resized = resizedSize(image.width(), image.height(), size);
        return BicubicResampler.resize(image, resized[0], resized[1]);
    }

    /** The train transform of one image for this seed, as a new CHW array of {@link #imageLength()} floats. */
    public float[] train(RgbImage image, long seed) {
        float[] out = new float[imageLength()];
        trainInto(image, seed, out, 0);
        return out;
    }

    /**
     * The train transform written into {@code batch[offset, offset + imageLength())}, CHW. The crop depends only
     * on the seed and the image size (see {@link RandomResizedCrop}).
     */
    public void trainInto(RgbImage image, long seed, float[] batch, int offset) {
        Objects.checkFromIndexSize(offset, imageLength(), batch.length);
        writeNormalised(trainCrop.apply(image, seed), batch, offset);
    }

    /**
     * torchvision's {@code Resize(res)} output size {@code {width, height}}: the shorter side becomes {@code res},
     * the longer {@code int(res * long / short)} (truncated; Python divides exactly-rounded, as Java does here).
     */
    private static int[] resizedSize(int width, int height, int res) {
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        int newLong = (int) ((double) ((long) res * longSide) / shortSide);
        return width <= height ? new int[] {res, newLong} : new int[] {newLong, res};
    }

    /** torchvision's {@code CenterCrop} offset: {@code int(round((size - crop) / 2.0))}, round half to even. */
    private static int centerCropOffset(int size, int crop) {
        return (int) Math.rint((size - crop) / 2.0);
    }

    /** Writes a {@code res x res} HWC image as normalised CHW floats at {@code offset}. */
    private void writeNormalised(RgbImage image, float[] out, int offset) {
        byte[] rgb = image.data();
        int plane = image.width() * image.height();
        for (int c = 0; c < 3; c++) {
            float[] table = normalised[c];
            int base = offset + c * plane;
            for (int i = 0; i < plane; i++) {
                out[base + i] = table[rgb[i * 3 + c] & 0xFF];
            }
        }
    }
}
