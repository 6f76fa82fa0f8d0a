package dev.dacspark.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoding to 8-bit RGB ({@link RgbImage}): every input kind PIL's {@code convert("RGB")} handles, and bad input. */
class ClipImageProcessorDecodeTest {

    @TempDir
    Path dir;

    private final Random random = new Random(20240611);

    @Test
    void rgbPngRoundTripsExactly() throws IOException {
        BufferedImage image = new BufferedImage(37, 53, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 53; y++) {
            for (int x = 0; x < 37; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        RgbImage decoded = RgbImage.read(write(image, "png", "rgb.png"));
        assertEquals(37, decoded.width());
        assertEquals(53, decoded.height());
        for (int y = 0; y < 53; y++) {
            for (int x = 0; x < 37; x++) {
                int rgb = image.getRGB(x, y);
                assertPixel(decoded, x, y, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
            }
        }
    }

    @Test
    void greyIsReplicatedAsStoredWithoutGammaConversion() throws IOException {
        // Every grey level once; Java's getRGB would treat grey as linear light and map 128 to about 188.
        BufferedImage ramp = new BufferedImage(256, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 256; x++) {
            ramp.getRaster().setSample(x, 0, 0, x);
            ramp.getRaster().setSample(x, 1, 0, 255 - x);
        }
        for (String format : new String[] {"png", "bmp"}) {
            RgbImage decoded = RgbImage.read(write(ramp, format, "grey." + format));
            for (int x = 0; x < 256; x++) {
                assertPixel(decoded, x, 0, x, x, x);
                assertPixel(decoded, x, 1, 255 - x, 255 - x, 255 - x);
            }
        }
        // JPEG is lossy: flat 8x8 blocks (one per JPEG block) keep their level within rounding.
        BufferedImage blocks = new BufferedImage(256, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 256; x++) {
            for (int y = 0; y < 8; y++) {
                blocks.getRaster().setSample(x, y, 0, x / 8 * 255 / 31);
            }
        }
        RgbImage jpeg = RgbImage.read(write(blocks, "jpeg", "grey.jpg"));
        for (int x = 0; x < 256; x++) {
            int level = x / 8 * 255 / 31;
            for (int c = 0; c < 3; c++) {
                int actual = jpeg.get(x, 4, c);
                assertTrue(Math.abs(actual - level) <= 2, "JPEG grey " + level + " decoded as " + actual);
            }
        }
    }

    @Test
    void alphaIsDroppedNotComposited() throws IOException {
        BufferedImage argb = new BufferedImage(16, 3, BufferedImage.TYPE_INT_ARGB);
        int[] alphas = {0, 1, 128, 255};
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 16; x++) {
                argb.setRGB(x, y, alphas[x % 4] << 24 | random.nextInt(1 << 24));
            }
        }
        RgbImage decoded = RgbImage.read(write(argb, "png", "alpha.png"));
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 16; x++) {
                int rgb = argb.getRGB(x, y);
                assertPixel(decoded, x, y, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
            }
        }
    }

    @Test
    void paletteImagesTakeThePaletteColour() throws IOException {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        random.nextBytes(r);
        random.nextBytes(g);
        random.nextBytes(b);
        IndexColorModel palette = new IndexColorModel(4, 16, r, g, b);
        BufferedImage indexed = new BufferedImage(23, 11, BufferedImage.TYPE_BYTE_BINARY, palette);
        for (int y = 0; y < 11; y++) {
            for (int x = 0; x < 23; x++) {
                indexed.getRaster().setSample(x, y, 0, random.nextInt(16));
            }
        }
        for (String format : new String[] {"png", "gif", "bmp"}) {
            RgbImage decoded = RgbImage.read(write(indexed, format, "palette." + format));
            for (int y = 0; y < 11; y++) {
                for (int x = 0; x < 23; x++) {
                    int i = indexed.getRaster().getSample(x, y, 0);
                    assertPixel(decoded, x, y, r[i] & 0xFF, g[i] & 0xFF, b[i] & 0xFF);
                }
            }
        }
    }

    @Test
    void oneBitImagesAreBlackAndWhite() throws IOException {
        BufferedImage binary = new BufferedImage(9, 4, BufferedImage.TYPE_BYTE_BINARY);
        for (int x = 0; x < 9; x++) {
            binary.getRaster().setSample(x, x % 4, 0, 1);
        }
        RgbImage decoded = RgbImage.read(write(binary, "png", "binary.png"));
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 9; x++) {
                int level = y == x % 4 ? 255 : 0;
                assertPixel(decoded, x, y, level, level, level);
            }
        }
    }

    @Test
    void sixteenBitSamplesKeepTheirTopByte() throws IOException {
        BufferedImage grey16 = new BufferedImage(19, 7, BufferedImage.TYPE_USHORT_GRAY);
        ColorModel rgbModel = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        BufferedImage rgb16 = new BufferedImage(rgbModel, rgbModel.createCompatibleWritableRaster(19, 7), false, null);
        fillRandom(grey16.getRaster(), 1 << 16);
        fillRandom(rgb16.getRaster(), 1 << 16);
        RgbImage grey = RgbImage.read(write(grey16, "png", "grey16.png"));
        RgbImage rgb = RgbImage.read(write(rgb16, "png", "rgb16.png"));
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 19; x++) {
                int level = grey16.getRaster().getSample(x, y, 0) >>> 8;
                assertPixel(grey, x, y, level, level, level);
                WritableRaster raster = rgb16.getRaster();
                assertPixel(rgb, x, y, raster.getSample(x, y, 0) >>> 8, raster.getSample(x, y, 1) >>> 8,
                        raster.getSample(x, y, 2) >>> 8);
            }
        }
    }

    @Test
    void baselineAndProgressiveJpegsDecode() throws IOException {
        BufferedImage flat = new BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 40; x++) {
                flat.setRGB(x, y, 0xC86432);
            }
        }
        for (boolean progressive : new boolean[] {false, true}) {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(progressive ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED);
            byte[] jpeg = encode(writer, new IIOImage(flat, null, null), param);
            RgbImage decoded = RgbImage.decode(jpeg, "flat-" + progressive);
            assertNear(decoded, 0xC8, 0x64, 0x32, 3);
        }
    }

    /**
     * An Adobe CMYK JPEG (stored inverted, as Photoshop writes it) decodes to PIL's naive RGB, {@code (255 - C) *
     * (255 - K) / 255}, within rounding. Java's own JPEG reader refuses such files; TwelveMonkeys reads them.
     */
    @Test
    void cmykJpegDecodesToRgb() throws IOException {
        int c = 200;
        int m = 30;
        int yellow = 90;
        int k = 40;
        RgbImage decoded = RgbImage.decode(cmykJpeg(16, 8, c, m, yellow, k), "cmyk.jpg");
        assertNear(decoded, (255 - c) * (255 - k) / 255.0, (255 - m) * (255 - k) / 255.0,
                (255 - yellow) * (255 - k) / 255.0, 2);
    }

    @Test
    void randomBytesAreRejectedNamingTheFile() throws IOException {
        byte[] noise = new byte[4096];
        random.nextBytes(noise);
        noise[0] = 0x42; // not the 00 00 of WBMP; that case has its own test
        Path file = dir.resolve("noise.jpg");
        Files.write(file, noise);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.read(file));
        assertMessage(e, file.toString(), "not a recognised image format");
    }

    @Test
    void bytesThatLookLikeWbmpAreRejected() {
        // Java's WBMP reader accepts many such strings and returns noise; none may pass as an image.
        for (int i = 0; i < 200; i++) {
            byte[] noise = new byte[300];
            random.nextBytes(noise);
            noise[0] = 0;
            noise[1] = 0;
            String id = "wbmp-like-" + i;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.decode(noise, id));
            assertMessage(e, id, "");
        }
    }

    /**
     * Cuts inside the header and the pixel data. (A PNG missing only its final CRC and IEND chunk still holds every
     * pixel; PIL and ImageIO both read it, so that case is not a failure.)
     */
    @Test
    void truncatedPngIsRejectedNamingTheFile() throws IOException {
        byte[] png = Files.readAllBytes(write(noiseImage(64, 48), "png", "full.png"));
        for (int length : new int[] {8, 40, png.length / 2, png.length - 30}) {
            Path file = dir.resolve("truncated-" + length + ".png");
            Files.write(file, Arrays.copyOf(png, length));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.read(file));
            assertMessage(e, file.toString(), "");
        }
    }

    @Test
    void truncatedJpegIsRejectedNamingTheFile() throws IOException {
        // Java's JPEG decoder fills a cut-off JPEG with grey and only warns: that must not pass as an image.
        byte[] jpeg = Files.readAllBytes(write(noiseImage(64, 48), "jpeg", "full.jpg"));
        for (int length : new int[] {jpeg.length / 3, jpeg.length / 2, jpeg.length - 100}) {
            Path file = dir.resolve("truncated-" + length + ".jpg");
            Files.write(file, Arrays.copyOf(jpeg, length));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.read(file));
            assertMessage(e, file.toString(), "");
        }
    }

    @Test
    void emptyFileIsRejectedNamingTheFile() throws IOException {
        Path file = Files.createFile(dir.resolve("empty.png"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.read(file));
        assertMessage(e, file.toString(), "empty");
    }

    @Test
    void decodeErrorsNameTheCallersId() {
        byte[] html = "<!DOCTYPE html><html>404 Not Found</html>".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RgbImage.decode(html, "s3://bucket/cats/001.jpg"));
        assertMessage(e, "s3://bucket/cats/001.jpg", "not a recognised image format");
    }

    @Test
    void missingFileIsAnIoErrorNamingThePath() {
        Path file = dir.resolve("no-such-image.jpg");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> RgbImage.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    // ---- helpers ----

    private Path write(BufferedImage image, String format, String name) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, format, file.toFile()), "no ImageIO writer for " + format + " and " + image);
        return file;
    }

    private BufferedImage noiseImage(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private void fillRandom(WritableRaster raster, int levels) {
        for (int band = 0; band < raster.getNumBands(); band++) {
            for (int y = 0; y < raster.getHeight(); y++) {
                for (int x = 0; x < raster.getWidth(); x++) {
                    raster.setSample(x, y, band, random.nextInt(levels));
                }
            }
        }
    }

    private static byte[] encode(ImageWriter writer, IIOImage image, ImageWriteParam param) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, image, param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * A constant-colour Adobe CMYK JPEG: a 4-band raster written with an APP14 marker of transform 0 (no colour
     * transform), samples inverted as Adobe stores them.
     */
    private static byte[] cmykJpeg(int width, int height, int c, int m, int y, int k) throws IOException {
        ColorModel cmyk = new ComponentColorModel(new PlainCmyk(), false, false, Transparency.OPAQUE,
                DataBuffer.TYPE_BYTE);
        WritableRaster raster = cmyk.createCompatibleWritableRaster(width, height);
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                raster.setPixel(col, row, new int[] {255 - c, 255 - m, 255 - y, 255 - k});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1f);
        IIOMetadata metadata = writer.getDefaultImageMetadata(
                new ImageTypeSpecifier(cmyk, cmyk.createCompatibleSampleModel(width, height)), param);
        String format = "javax_imageio_jpeg_image_1.0";
        IIOMetadataNode tree = (IIOMetadataNode) metadata.getAsTree(format);
        ((IIOMetadataNode) tree.getElementsByTagName("app14Adobe").item(0)).setAttribute("transform", "0");
        metadata.setFromTree(format, tree);
        return encode(writer, new IIOImage(raster, null, metadata), param);
    }

    /** A device CMYK colour space, only so that the JPEG writer knows it is writing CMYK. */
    private static final class PlainCmyk extends ColorSpace {
        private static final ColorSpace SRGB = ColorSpace.getInstance(CS_sRGB);

        PlainCmyk() {
            super(TYPE_CMYK, 4);
        }

        @Override
        public float[] toRGB(float[] v) {
            return new float[] {(1 - v[0]) * (1 - v[3]), (1 - v[1]) * (1 - v[3]), (1 - v[2]) * (1 - v[3])};
        }

        @Override
        public float[] fromRGB(float[] rgb) {
            return new float[] {1 - rgb[0], 1 - rgb[1], 1 - rgb[2], 0};
        }

        @Override
        public float[] toCIEXYZ(float[] v) {
            return SRGB.toCIEXYZ(toRGB(v));
        }

        @Override
        public float[] fromCIEXYZ(float[] xyz) {
            return fromRGB(SRGB.fromCIEXYZ(xyz));
        }
    }

    private static void assertPixel(RgbImage image, int x, int y, int r, int g, int b) {
        int[] actual = {image.get(x, y, 0), image.get(x, y, 1), image.get(x, y, 2)};
        assertEquals(Arrays.toString(new int[] {r, g, b}), Arrays.toString(actual), "pixel (" + x + ", " + y + ")");
    }

    private static void assertNear(RgbImage image, double r, double g, double b, double tolerance) {
        double[] expected = {r, g, b};
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    assertTrue(Math.abs(image.get(x, y, c) - expected[c]) <= tolerance, "pixel (" + x + ", " + y
                            + ") channel " + c + " is " + image.get(x, y, c) + ", expected about " + expected[c]);
                }
            }
        }
    }

    private static void assertMessage(IllegalArgumentException e, String source, String reason) {
        String message = e.getMessage();
        assertTrue(message.contains(source), "message should name " + source + ": " + message);
        assertTrue(message.contains(reason), "message should say '" + reason + "': " + message);
    }
}
