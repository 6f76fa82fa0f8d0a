package dev.dacspark.clip;

/**
 * torchvision's {@code RandomResizedCrop(size, scale, ratio, interpolation=BICUBIC)} on PIL images: pick a crop
 * box as {@code RandomResizedCrop.get_params} does, cut it out, and resize it to {@code size x size} with PIL's
 * bicubic ({@link BicubicResampler}).
 *
 * <p>Box choice ({@code get_params}): up to 10 attempts, each drawing an area fraction uniformly from
 * {@code [minScale, maxScale]} and an aspect ratio (width / height) log-uniformly from {@code [minRatio,
 * maxRatio]}; {@code w = round(sqrt(area * ratio))}, {@code h = round(sqrt(area / ratio))} (round half to even,
 * as Python's {@code round}); the first box that fits is placed uniformly at random ({@code top} in
 * {@code [0, H - h]}, {@code left} in {@code [0, W - w]}). If none fits, the fallback is a centred box of the whole
 * image with its aspect ratio clamped into the range (offsets rounded down, unlike {@code CenterCrop}).
 *
 * <p>Randomness: every call takes an explicit {@code long} seed and draws from its own SplitMix64 stream
 * (the generator of {@link java.util.SplittableRandom}, written out here so that the bits, and so the crops, are
 * the same on every JVM and machine). The same (seed, image size) always gives the same box. torchvision's own
 * random stream is not reproduced; callers derive one seed per sample (e.g. from a run seed and the sample id).
 *
 * <p>Immutable and thread-safe.
 */
public final class RandomResizedCrop {

    /** A crop box in pixels of the source image: rows {@code [top, top + height)}, columns {@code [left, left + width)}. */
    public record Box(int top, int left, int height, int width) {}

    private static final int ATTEMPTS = 10;

    private final int size;
    private final double minScale;
    private final double maxScale;
    private final double minRatio;
    private final double maxRatio;

    /**
     * @param size output side in pixels (square output)
     * @param minScale smallest crop area as a fraction of the image area; {@code 0 < minScale <= maxScale}
     * @param maxScale largest crop area fraction
     * @param minRatio smallest crop aspect ratio (width / height); {@code 0 < minRatio <= maxRatio}
     * @param maxRatio largest crop aspect ratio
     */
    public RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        checkRanges(minScale, maxScale, minRatio, maxRatio);
        this.size = size;
        this.minScale = minScale;
        this.maxScale = maxScale;
        this.minRatio = minRatio;
        this.maxRatio = maxRatio;
    }

    /** Throws {@link IllegalArgumentException} unless {@code 0 < minScale <= maxScale} and {@code 0 < minRatio <= maxRatio}. */
    static void checkRanges(double minScale, double maxScale, double minRatio, double maxRatio) {
        if (!(minScale > 0 && minScale <= maxScale && Double.isFinite(maxScale))) {
            throw new IllegalArgumentException("need 0 < minScale <= maxScale, got " + minScale + ", " + maxScale);
        }
        if (!(minRatio > 0 && minRatio <= maxRatio && Double.isFinite(maxRatio))) {
            throw new IllegalArgumentException("need 0 < minRatio <= maxRatio, got " + minRatio + ", " + maxRatio);
        }
    }

    /** Output side in pixels. */
    public int size() {
        return size;
    }

    /** Crops {@code image} at {@link #sampleBox} for this seed and resizes the crop to {@code size x size}. */
    public RgbImage apply(RgbImage image, long seed) {
        Box box = sampleBox(image.width(), image.height(), seed);
        RgbImage crop = image.crop(box.left(), box.top(), box.width(), box.height());
        return BicubicResampler.resize(crop, size, size);
    }

    /** The crop box for an image of {@code width x height} pixels and this seed (torchvision's {@code get_params}). */
    public Box sampleBox(int width, int height, long seed) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        SplitMix64 random = new SplitMix64(seed);
        double area = (double) width * height;
        double logMinRatio = Math.log(minRatio);
        double logMaxRatio = Math.log(maxRatio);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * random.uniform(minScale, maxScale);
            double aspectRatio = Math.exp(random.uniform(logMinRatio, logMaxRatio));
            int w = (int) Math.rint(Math.sqrt(targetArea * aspectRatio));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspectRatio));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return new Box(top, left, h, w);
            }
        }
        return centralFallback(width, height);
    }

    /** torchvision's fallback: the whole image, narrowed to the nearest allowed aspect ratio, centred. */
    private Box centralFallback(int width, int height) {
        double inRatio = (double) width / height;
        int w = width;
        int h = height;
        if (inRatio < minRatio) {
            h = (int) Math.rint(w / minRatio);
        } else if (inRatio > maxRatio) {
            // At least one column: torchvision would fail on the empty crop of a ratio range near 0.
            w = Math.max(1, (int) Math.rint(h * maxRatio));
        }
        return new Box((height - h) / 2, (width - w) / 2, h, w);
    }

    /**
     * SplitMix64 (Steele, Lea, Flood 2014): the same {@code long} sequence as {@code new SplittableRandom(seed)
     * .nextLong()}, with the derived draws defined here.
     */
    static final class SplitMix64 {
        private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        long nextLong() {
            long z = (state += GOLDEN_GAMMA);
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        /** Uniform in {@code [low, high)}, from the top 53 bits of the next {@code long}. */
        double uniform(double low, double high) {
            double unit = (nextLong() >>> 11) * 0x1.0p-53;
            return low + (high - low) * unit;
        }

        /** Uniform integer in {@code [0, bound)}; the modulo bias is below 2^-40 for image-sized bounds. */
        int nextInt(int bound) {
            return (int) Long.remainderUnsigned(nextLong(), bound);
        }
    }
}
