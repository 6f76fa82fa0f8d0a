package dev.dacspark.clip;

/** Images the preprocessing tests build pixel by pixel. */
final class TestImages {
    private TestImages() {}

    /** Pixel value of channel c at (x, y), 0..255. */
    interface PixelFunction {
        int value(int x, int y, int c);
    }

    static RgbImage image(int width, int height, PixelFunction f) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * width + x) * 3 + c] = (byte) f.value(x, y, c);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }
}
