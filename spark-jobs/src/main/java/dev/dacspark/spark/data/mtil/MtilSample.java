package dev.dacspark.spark.data.mtil;

/**
 * One sample as the reference reads it: an image file (a path relative to the dataset's folder) or
 * inline pixels (MNIST, CIFAR), its label and its split ("train" or "test").
 *
 * @param pixels   inline 8-bit pixels, interleaved by channel (height x width x channels), or null
 * @param channels 1 (grey) or 3 (RGB) for inline pixels
 */
public record MtilSample(String id, String file, byte[] pixels, int width, int height, int channels, int label, String split) {

    static MtilSample file(String file, int label, String split) {
        return new MtilSample(file, file, null, 0, 0, 0, label, split);
    }

    static MtilSample inline(String id, byte[] pixels, int width, int height, int channels, int label, String split) {
        return new MtilSample(id, null, pixels, width, height, channels, label, split);
    }

    MtilSample withSplit(String s) {
        return new MtilSample(id, file, pixels, width, height, channels, label, s);
    }
}
