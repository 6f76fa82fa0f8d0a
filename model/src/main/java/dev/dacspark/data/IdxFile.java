package dev.dacspark.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian magic number whose third
 * byte is the element type (0x08 = unsigned byte) and fourth the number of dimensions, the
 * dimensions as big-endian ints, then the data. Gzip-compressed streams are detected by their magic.
 */
public final class IdxFile {
    private IdxFile() {}

    /** The images of an IDX3 file: count x rows x cols unsigned bytes. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        public byte[] image(int i) {
            byte[] out = new byte[rows * cols];
            System.arraycopy(pixels, i * rows * cols, out, 0, out.length);
            return out;
        }
    }

    /** The images of an IDX3 stream (closed here); {@code source} names it in errors. */
    public static Images readImages(InputStream stream, String source) {
        try (DataInputStream in = open(stream)) {
            int[] dims = header(in, source, 3);
            byte[] data = new byte[Math.multiplyExact(dims[0], Math.multiplyExact(dims[1], dims[2]))];
            readFully(in, data, source);
            return new Images(dims[0], dims[1], dims[2], data);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX images " + source + ": " + e.getMessage(), e);
        }
    }

    /** The labels of an IDX1 stream (closed here). */
    public static byte[] readLabels(InputStream stream, String source) {
        try (DataInputStream in = open(stream)) {
            int[] dims = header(in, source, 1);
            byte[] data = new byte[dims[0]];
            readFully(in, data, source);
            return data;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX labels " + source + ": " + e.getMessage(), e);
        }
    }

    public static Images readImages(Path file) {
        return readImages(openFile(file), file.toString());
    }

    public static byte[] readLabels(Path file) {
        return readLabels(openFile(file), file.toString());
    }

    private static InputStream openFile(Path file) {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open IDX file " + file + ": " + e, e);
        }
    }

    private static DataInputStream open(InputStream stream) throws IOException {
        InputStream raw = new BufferedInputStream(stream, 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        return new DataInputStream(b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16)) : raw);
    }

    private static int[] header(DataInputStream in, String source, int expectedDims) throws IOException {
        int magic = in.readInt();
        int type = (magic >>> 8) & 0xff;
        int dims = magic & 0xff;
        if ((magic >>> 16) != 0 || type != 0x08 || dims != expectedDims) {
            throw new IllegalArgumentException(source + ": not an IDX file of unsigned bytes with " + expectedDims
                    + " dimension(s) (magic 0x" + Integer.toHexString(magic) + ")");
        }
        int[] out = new int[dims];
        for (int i = 0; i < dims; i++) {
            out[i] = in.readInt();
            if (out[i] < 0) {
                throw new IllegalArgumentException(source + ": negative dimension " + out[i]);
            }
        }
        return out;
    }

    private static void readFully(DataInputStream in, byte[] data, String source) throws IOException {
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw new IllegalArgumentException(source + ": truncated (the header promises " + data.length + " data bytes)", e);
        }
    }
}
