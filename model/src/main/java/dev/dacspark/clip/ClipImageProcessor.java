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
 * <p>The model's own {@link ImagePreprocessing} (greyscale, ink polarity, mean and std; {@link Config#forModel})
 * applies to the {@code res x res} crop, before {@code ToTensor}. OpenAI's CLIP keeps colour and polarity.
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
     * @param pixels the model's greyscale, ink polarity, mean and std
     * @param minScale smallest train crop area, as a fraction of the image area
     * @param maxScale largest train crop area fraction
     * @param minRatio smallest train crop aspect ratio (width / height)
     * @param maxRatio largest train crop aspect ratio
     */
    public record Config(int resolution, ImagePreprocessing pixels,
                         double minScale, double maxScale, double minRatio, double maxRatio) implements java.io.Serializable {

        /** CLIP's normalisation mean (R, G, B). */
        public static final List<Double> CLIP_MEAN = ImagePreprocessing.CLIP_MEAN;
        /** CLIP's normalisation standard deviation (R, G, B). */
        public static final List<Double> CLIP_STD = ImagePreprocessing.CLIP_STD;

        public Config {
            if (resolution <= 0) {
                throw new IllegalArgumentException("resolution must be positive, got " + resolution);
            }
            Objects.requireNonNull(pixels, "pixels");
            RandomResizedCrop.checkRanges(minScale, maxScale, minRatio, maxRatio);
        }

        /** Colour, polarity kept, this mean and std. */
        public Config(int resolution, List<Double> mean, List<Double> std,
                      double minScale, double maxScale, double minRatio, double maxRatio) {
            this(resolution, new ImagePreprocessing(false, ImagePreprocessing.InkPolarity.KEEP, mean, std),
                    minScale, maxScale, minRatio, maxRatio);
        }

        /** Per-channel mean (R, G, B). */
        public List<Double> mean() {
            return pixels.mean();
        }

        /** Per-channel standard deviation (R, G, B). */
        public List<Double> std() {
            return pixels.std();
        }

        /**
         * What a model needs: its resolution and {@link ClipConfig#preprocessing()}, with CLIP's train crop
         * (scale (0.9, 1.0), ratio (3/4, 4/3)).
         */
        public static Config forModel(ClipConfig model) {
            return new Config(model.imageResolution(), model.preprocessing(), 0.9, 1.0, 3.0 / 4.0, 4.0 / 3.0);
        }

        /** OpenAI CLIP's settings at this resolution: {@link #forModel} of a CLIP with {@link ImagePreprocessing#CLIP}. */
        public static Config clip(int resolution) {
            return new Config(resolution, ImagePreprocessing.CLIP, 0.9, 1.0, 3.0 / 4.0, 4.0 / 3.0);
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

    /**
     * Writes a {@code res x res} HWC image as normalised CHW floats at {@code offset}, after the model's greyscale
     * and ink-polarity steps.
     */
    private void writeNormalised(RgbImage image, float[] out, int offset) {
        byte[] rgb = image.data();
        int plane = image.width() * image.height();
        ImagePreprocessing pixels = config.pixels();
        if (pixels.greyscale()) {
            rgb = greyscale(rgb, plane);
        }
        int flip = invert(rgb, image.width(), image.height(), pixels.inkPolarity()) ? 0xFF : 0;
        for (int c = 0; c < 3; c++) {
            float[] table = normalised[c];
            int base = offset + c * plane;
            for (int i = 0; i < plane; i++) {
                out[base + i] = table[(rgb[i * 3 + c] & 0xFF) ^ flip];
            }
        }
    }

    /** PIL's {@code convert("L")} luma of every pixel, replicated into R, G and B. */
    private static byte[] greyscale(byte[] rgb, int pixels) {
        byte[] out = new byte[rgb.length];
        for (int i = 0; i < pixels; i++) {
            byte l = (byte) luma(rgb, i);
            out[3 * i] = l;
            out[3 * i + 1] = l;
            out[3 * i + 2] = l;
        }
        return out;
    }

    /** PIL's fixed-point luma {@code (19595 R + 38470 G + 7471 B + 32768) >> 16} of pixel i. */
    private static int luma(byte[] rgb, int i) {
        return ((rgb[3 * i] & 0xFF) * 19595 + (rgb[3 * i + 1] & 0xFF) * 38470 + (rgb[3 * i + 2] & 0xFF) * 7471 + 0x8000) >> 16;
    }

    /**
     * Whether an image must be inverted to reach the wanted ink polarity: its background, the mean luma of the
     * one-pixel border, is light (above 127.5) where light-on-dark is wanted, or dark where dark-on-light is.
     */
    static boolean invert(byte[] rgb, int width, int height, ImagePreprocessing.InkPolarity wanted) {
        if (wanted == ImagePreprocessing.InkPolarity.KEEP) {
            return false;
        }
        long sum = 0;
        int count = 0;
        for (int y = 0; y < height; y++) {
            boolean edgeRow = y == 0 || y == height - 1;
            for (int x = 0; x < width; x += edgeRow || width == 1 ? 1 : width - 1) {
                sum += luma(rgb, y * width + x);
                count++;
            }
        }
        boolean lightBackground = 2 * sum > 255L * count;
        return lightBackground == (wanted == ImagePreprocessing.InkPolarity.LIGHT_ON_DARK);
    }
}
