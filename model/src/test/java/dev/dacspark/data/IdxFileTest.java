package dev.dacspark.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFileTest {

    @Test
    void readsImagesAndLabelsPlainOrGzipped(@TempDir Path dir) throws IOException {
        byte[] pixels = new byte[3 * 2 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 11);
        }
        byte[] images = idx(0x0803, new int[] {3, 2, 4}, pixels);
        byte[] labels = idx(0x0801, new int[] {3}, new byte[] {7, 0, (byte) 200});
        Files.write(dir.resolve("images"), images);
        Files.write(dir.resolve("labels.gz"), gzip(labels));

        IdxFile.Images read = IdxFile.readImages(dir.resolve("images"));
        assertEquals(3, read.count());
        assertEquals(2, read.rows());
        assertEquals(4, read.cols());
        assertArrayEquals(Arrays.copyOfRange(pixels, 8, 16), read.image(1));
        assertArrayEquals(new byte[] {7, 0, (byte) 200}, IdxFile.readLabels(dir.resolve("labels.gz")));
    }

    @Test
    void aWrongOrTruncatedFileIsAClearError(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("labels"), idx(0x0801, new int[] {3}, new byte[] {1, 2, 3}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxFile.readImages(dir.resolve("labels")));
        assertTrue(e.getMessage().contains("not an IDX file of unsigned bytes with 3 dimension(s)"), e.getMessage());
        Files.write(dir.resolve("short"), idx(0x0801, new int[] {5}, new byte[] {1, 2, 3}));
        e = assertThrows(IllegalArgumentException.class, () -> IdxFile.readLabels(dir.resolve("short")));
        assertTrue(e.getMessage().contains("short: truncated (the header promises 5 data bytes)"), e.getMessage());
    }

    private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
