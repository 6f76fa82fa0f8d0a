package dev.dacspark.clip;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * An 8-bit RGB image: the input of every CLIP transform, decoded as PIL's {@code Image.open(f).convert("RGB")}
 * would give it.
 *
 * <p>Layout: HWC, interleaved; channel {@code c} (0 = R, 1 = G, 2 = B) of pixel {@code (x, y)} is the unsigned
 * byte at {@code (y * width + x) * 3 + c}.
 *
 * <p>Conversion rules (PIL's {@code convert("RGB")}):
 * <ul>
 *   <li>Alpha is dropped, not composited: a transparent pixel keeps its stored colour.</li>
 *   <li>Grey is replicated into R, G and B as stored. Java's colour-managed {@code getRGB} would treat grey as
 *       linear light and brighten it, so grey and RGB samples are read straight from the raster.</li>
 *   <li>Palette images take the palette colour (its alpha is dropped too).</li>
 *   <li>Samples of more than 8 bits keep their top 8 bits (PIL reads 16-bit RGB PNGs so; for 16-bit grey PIL
 *       clamps to 255 instead, which whitens almost every image: that quirk is not copied). Samples of fewer
 *       bits are stretched to 0..255 (a 4-bit 15 becomes 255).</li>
 *   <li>CMYK and YCCK JPEGs are converted to RGB by the TwelveMonkeys reader (registered through SPI). Without an
 *       embedded ICC profile it applies PIL's naive formula {@code R = (255 - C) * (255 - K) / 255}, within one
 *       level of rounding; with one it converts colour-managed, where PIL ignores the profile.</li>
 *   <li>Anything else (float samples, premultiplied alpha, other colour spaces) goes through Java's colour
 *       conversion to sRGB.</li>
 * </ul>
 *
 * <p>Multi-frame files (animated GIF) give their first frame, as PIL does.
 *
 * <p>Failures: an empty, unrecognised, corrupt or truncated input throws {@link IllegalArgumentException} whose
 * message names the source and the reason; nothing partial is ever returned. A truncated JPEG, which Java's
 * decoder would silently fill with grey, is detected from the reader's warnings (PIL refuses it too: "image
 * file is truncated"); other JPEG warnings such as extraneous bytes before a marker are tolerated, as in PIL.
 */
public final class RgbImage {

    /** PIL's decompression-bomb limit ({@code 2 * Image.MAX_IMAGE_PIXELS}): larger images are refused. */
    public static final long MAX_PIXELS = 2L * 89_478_485L;

    static {
        // ImageIO registers SPI plugins once, with the class loader current at its first use. In a Spark executor
        // that can predate the application jar, which would leave out the TwelveMonkeys JPEG reader: scan again.
        ImageIO.scanForPlugins();
    }

    private final int width;
    private final int height;
    private final byte[] rgb;

    /**
     * Wraps interleaved RGB bytes (no copy).
     *
     * @param rgb {@code width * height * 3} bytes, layout as in the class comment
     */
    public RgbImage(int width, int height, byte[] rgb) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        Objects.requireNonNull(rgb, "rgb");
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException(
                    "expected " + width * height * 3 + " bytes for " + width + "x" + height + " RGB, got " + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel {@code (x, y)}, 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** The backing interleaved bytes (no copy): callers in this package read them in the hot loops. */
    byte[] data() {
        return rgb;
    }

    /** Copies the region {@code [left, left + w) x [top, top + h)}, like PIL's integer {@code crop}. */
    RgbImage crop(int left, int top, int w, int h) {
        Objects.checkFromIndexSize(left, w, width);
        Objects.checkFromIndexSize(top, h, height);
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rgb, ((top + y) * width + left) * 3, out, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Reads and decodes an image file.
     *
     * @throws IllegalArgumentException if the file is not a decodable image; the message names the path
     * @throws UncheckedIOException if the file cannot be read at all (missing, no permission)
     */
    public static RgbImage read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read image file " + file + ": " + e, e);
        }
        return decode(bytes, file.toString());
    }

    /**
     * Decodes an encoded image (JPEG, PNG, GIF, BMP, TIFF, ... whatever ImageIO reads, except WBMP).
     *
     * @param sourceId names the input in error messages (a path, a dataset key)
     * @throws IllegalArgumentException if the bytes are not a decodable image; the message names {@code sourceId}
     */
    public static RgbImage decode(byte[] encoded, String sourceId) {
        return decode(encoded, sourceId, MAX_PIXELS);
    }

    /**
     * As {@link #decode(byte[], String)}, refusing images of more than {@code maxPixels} pixels before
     * decoding them (decompression bombs).
     */
    public static RgbImage decode(byte[] encoded, String sourceId, long maxPixels) {
        Objects.requireNonNull(encoded, "encoded");
        Objects.requireNonNull(sourceId, "sourceId");
        if (encoded.length == 0) {
            throw failure(sourceId, "the input is empty (0 bytes)", null);
        }
        try {
            return convert(readFirstFrame(encoded, maxPixels));
        } catch (RejectedImageException e) {
            throw failure(sourceId, e.getMessage(), null);
        } catch (IOException | RuntimeException e) {
            // Decoders throw assorted exceptions on corrupt data (IIOException, EOFException, index errors).
            throw failure(sourceId, "corrupt or unreadable image data: " + e, e);
        }
    }

    /** This image as PNG bytes (lossless; the same bytes for the same pixels). */
    public byte[] encodePng() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < width * height; i++) {
            bgr[3 * i] = rgb[3 * i + 2];
            bgr[3 * i + 1] = rgb[3 * i + 1];
            bgr[3 * i + 2] = rgb[3 * i];
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", out)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The first ImageIO reader for the stream, skipping WBMP: its format has no signature, so Java's reader
     * claims about one in seven random byte strings that start with two zero bytes and returns noise.
     */
    private static ImageReader firstReader(ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String format;
            try {
                format = reader.getFormatName();
            } catch (IOException e) {
                format = "";
            }
            if (!format.toLowerCase(Locale.ROOT).equals("wbmp")) {
                return reader;
            }
            reader.dispose();
        }
        return null;
    }

    /** Decodes the first frame with the first suitable reader, refusing what PIL would refuse. */
    private static BufferedImage readFirstFrame(byte[] encoded, long maxPixels) throws IOException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            ImageReader reader = firstReader(in);
            if (reader == null) {
                throw new RejectedImageException("not a recognised image format (" + encoded.length
                        + " bytes, starting " + leadingBytes(encoded) + ")");
            }
            try {
                reader.setInput(in, true, true);
                return readChecked(reader, maxPixels);
            } finally {
                reader.dispose();
            }
        }
    }

    /** Reads frame 0 after a size check; a decoder warning about truncation makes it a failure. */
    private static BufferedImage readChecked(ImageReader reader, long maxPixels) throws IOException {
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0 || (long) width * height > maxPixels) {
            throw new RejectedImageException(
                    "image size " + width + "x" + height + " is empty or above the " + maxPixels + "-pixel limit");
        }
        BufferedImage image = reader.read(0);
        for (String warning : warnings) {
            String lower = warning.toLowerCase(Locale.ROOT);
            if (lower.contains("truncated") || lower.contains("premature end")) {
                throw new RejectedImageException("truncated image data (decoder warning: " + warning + ")");
            }
        }
        return image;
    }

    /** Up to the first 8 bytes in hex, e.g. "3c 21 44 4f" for an HTML page saved under an image name. */
    private static String leadingBytes(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(i == 0 ? "" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return hex.toString();
    }

    /** Converts any decoded image to 8-bit RGB by the rules in the class comment. */
    static RgbImage convert(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int colourType = cm.getColorSpace().getType();
        if (cm instanceof IndexColorModel palette) {
            int[] index = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, index);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    out[o] = (byte) palette.getRed(index[x]);
                    out[o + 1] = (byte) palette.getGreen(index[x]);
                    out[o + 2] = (byte) palette.getBlue(index[x]);
                }
            }
        } else if (hasIntegerSamples(image) && colourType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            for (int c = 0; c < 3; c++) {
                copyBand(raster, c, cm.getComponentSize(c), out, c, 1);
            }
        } else if (hasIntegerSamples(image) && colourType == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1) {
            copyBand(raster, 0, cm.getComponentSize(0), out, 0, 3);
        } else {
            int[] argb = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, argb, 0, w);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    out[o] = (byte) (argb[x] >> 16);
                    out[o + 1] = (byte) (argb[x] >> 8);
                    out[o + 2] = (byte) argb[x];
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Samples are plain unsigned integers that can be read as stored (not float, not premultiplied). */
    private static boolean hasIntegerSamples(BufferedImage image) {
        int type = image.getRaster().getTransferType();
        boolean integral = type == DataBuffer.TYPE_BYTE || type == DataBuffer.TYPE_USHORT || type == DataBuffer.TYPE_INT;
        return integral && !image.isAlphaPremultiplied();
    }

    /**
     * Writes raster band {@code band} ({@code bits} per sample), scaled to 8 bits, into channel {@code firstChannel}
     * of {@code out} and the {@code channels - 1} channels after it (3 replicates grey into R, G, B).
     */
    private static void copyBand(Raster raster, int band, int bits, byte[] out, int firstChannel, int channels) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int[] samples = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, band, samples);
            for (int x = 0, o = y * w * 3 + firstChannel; x < w; x++, o += 3) {
                byte v = to8Bits(samples[x], bits);
                for (int c = 0; c < channels; c++) {
                    out[o + c] = v;
                }
            }
        }
    }

    /** A {@code bits}-bit sample as 8 bits: the top 8 bits of a wider one, a narrower one stretched to 0..255. */
    private static byte to8Bits(int sample, int bits) {
        if (bits >= 8) {
            return (byte) (sample >>> (bits - 8));
        }
        int max = (1 << bits) - 1;
        return (byte) ((sample * 255 + max / 2) / max);
    }

    private static IllegalArgumentException failure(String sourceId, String reason, Throwable cause) {
        return new IllegalArgumentException("Cannot decode image " + sourceId + ": " + reason, cause);
    }

    /** A decodable-looking input that is refused for a stated reason (the message is that reason). */
    private static final class RejectedImageException extends IOException {
        RejectedImageException(String reason) {
            super(reason);
        }
    }
}
