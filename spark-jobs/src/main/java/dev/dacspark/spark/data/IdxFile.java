package dev.dacspark.spark.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.zip.GZIPInputStream;

/**
 * MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian magic number whose third
 * byte is the element type (0x08 = unsigned byte) and fourth the number of dimensions, the
 * dimensions as big-endian ints, then the data. Gzip-compressed files are detected by their magic.
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

    public static Images readImages(String uri, Configuration hadoop) {
        try (DataInputStream in = open(uri, hadoop)) {
            int[] dims = header(in, uri, 3);
            byte[] data = new byte[Math.multiplyExact(dims[0], Math.multiplyExact(dims[1], dims[2]))];
            readFully(in, data, uri);
            return new Images(dims[0], dims[1], dims[2], data);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX images " + uri + ": " + e.getMessage(), e);
        }
    }

    /** The labels of an IDX1 file. */
    public static byte[] readLabels(String uri, Configuration hadoop) {
        try (DataInputStream in = open(uri, hadoop)) {
            int[] dims = header(in, uri, 1);
            byte[] data = new byte[dims[0]];
            readFully(in, data, uri);
            return data;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read IDX labels " + uri + ": " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(String uri, Configuration hadoop) throws IOException {
        Path path = new Path(URI.create(uri));
        InputStream raw = new BufferedInputStream(path.getFileSystem(hadoop).open(path), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        return new DataInputStream(b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16)) : raw);
    }

    private static int[] header(DataInputStream in, String uri, int expectedDims) throws IOException {
        int magic = in.readInt();
        int type = (magic >>> 8) & 0xff;
        int dims = magic & 0xff;
        if ((magic >>> 16) != 0 || type != 0x08 || dims != expectedDims) {
            throw new IllegalArgumentException(uri + ": not an IDX file of unsigned bytes with " + expectedDims
                    + " dimension(s) (magic 0x" + Integer.toHexString(magic) + ")");
        }
        int[] out = new int[dims];
        for (int i = 0; i < dims; i++) {
            out[i] = in.readInt();
            if (out[i] < 0) {
                throw new IllegalArgumentException(uri + ": negative dimension " + out[i]);
            }
        }
        return out;
    }

    private static void readFully(DataInputStream in, byte[] data, String uri) throws IOException {
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw new IllegalArgumentException(uri + ": truncated (the header promises " + data.length + " data bytes)", e);
        }
    }
}
