package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.mtil.PythonPickle.NumpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PythonPickleTest {
    @TempDir
    Path dir;

    private static Map<String, Object> dict(Path file, String uri) throws IOException {
        return PythonPickle.dict(PythonPickle.load(Files.readAllBytes(file), uri), uri);
    }

    /** 3 images whose bytes run through every value, 0x00 and 0x80..0xff included */
    private static byte[] data() {
        byte[] data = new byte[3 * 3072];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + i / 256);
        }
        return data;
    }

    @Test
    void cifarBatch() throws IOException {
        Path train = dir.resolve("train");
        byte[] data = data();
        PickleWriter.cifarBatch(train, List.of("bos_taurus_s_000507.png", "stegosaurus_s_000125.png", "mcintosh_s_000643.png"),
                new int[] {19, 29, 0}, new int[] {11, 15, 4}, data);
        Map<String, Object> d = dict(train, "cifar-100-python/train");
        assertEquals(List.of("filenames", "batch_label", "fine_labels", "coarse_labels", "data").stream().sorted().toList(),
                d.keySet().stream().sorted().toList());
        assertEquals(List.of("bos_taurus_s_000507.png", "stegosaurus_s_000125.png", "mcintosh_s_000643.png"),
                PythonPickle.strings(d, "filenames", "train"));
        assertEquals("training batch 1 of 1", d.get("batch_label"));
        assertEquals(List.of(19, 29, 0), PythonPickle.ints(d, "fine_labels", "train"));
        assertEquals(List.of(11, 15, 4), PythonPickle.ints(d, "coarse_labels", "train"));
        NumpyArray a = PythonPickle.array(d, "data", "train");
        assertEquals("u1", a.dtype());
        assertArrayEquals(new int[] {3, 3072}, a.shape());
        assertFalse(a.fortranOrder());
        assertArrayEquals(data, a.data());
        assertTrue(data[0] == 0 && data[19] == (byte) 0x85, "the data holds 0x00 and bytes >= 0x80");
    }

    @Test
    void cifarMeta() throws IOException {
        Path meta = dir.resolve("meta");
        PickleWriter.cifarMeta(meta, List.of("apple", "aquarium_fish", "sweet_pepper"), List.of("aquatic_mammals", "fish"));
        Map<String, Object> d = dict(meta, "meta");
        assertEquals(List.of("apple", "aquarium_fish", "sweet_pepper"), PythonPickle.strings(d, "fine_label_names", "meta"));
        assertEquals(List.of("aquatic_mammals", "fish"), PythonPickle.strings(d, "coarse_label_names", "meta"));
    }

    @Test
    void everyIntWidthLongListsAndLongStrs() throws IOException {
        List<Integer> ints = new ArrayList<>();
        for (int i = 0; i < 2500; i++) { // three APPENDS batches
            ints.add(i * 40_000 - 50_000_000);
        }
        ints.addAll(List.of(0, 255, 256, 65535, 65536, -1, Integer.MIN_VALUE, Integer.MAX_VALUE));
        String longStr = "x".repeat(300) + "\u00e9\u00ff"; // BINSTRING; Python 2 str bytes 0xe9 0xff come back as those chars
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("ints", ints);
        d.put("strs", List.of(longStr));
        d.put("one", List.of("single")); // APPEND
        Path file = dir.resolve("p");
        PickleWriter.write(file, d);
        Map<String, Object> back = dict(file, "p");
        assertEquals(ints, PythonPickle.ints(back, "ints", "p"));
        assertEquals(List.of(longStr), PythonPickle.strings(back, "strs", "p"));
        assertEquals(List.of("single"), PythonPickle.strings(back, "one", "p"));
    }

    @Test
    void truncatedPickleFailsNamingIt() throws IOException {
        Path train = dir.resolve("train");
        PickleWriter.cifarBatch(train, List.of("a.png", "b.png", "c.png"), new int[] {1, 2, 3}, new int[] {0, 0, 1}, data());
        byte[] bytes = Files.readAllBytes(train);
        for (int keep : new int[] {bytes.length - 1, bytes.length / 2, 40, 1, 0}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PythonPickle.load(Arrays.copyOf(bytes, keep), "cifar-100-python/train"), "kept " + keep + " bytes");
            assertTrue(e.getMessage().startsWith("cifar-100-python/train: not a readable Python pickle"), e.getMessage());
        }
    }

    @Test
    void missingOrMistypedKeysFailNamingThem() throws IOException {
        Path test = dir.resolve("test");
        Map<String, Object> noData = new LinkedHashMap<>();
        noData.put("filenames", List.of("a.png"));
        noData.put("fine_labels", List.of(1));
        PickleWriter.write(test, noData);
        Map<String, Object> d = dict(test, "cifar-100-python/test");
        assertEquals("cifar-100-python/test: key 'data' is missing (the dict has: filenames, fine_labels)",
                assertThrows(IllegalArgumentException.class, () -> PythonPickle.array(d, "data", "cifar-100-python/test")).getMessage());
        assertEquals("cifar-100-python/test: 'filenames' is ArrayList, not a numpy array",
                assertThrows(IllegalArgumentException.class, () -> PythonPickle.array(d, "filenames", "cifar-100-python/test")).getMessage());
        assertEquals("cifar-100-python/test: 'filenames'[0] is String a.png, not an int",
                assertThrows(IllegalArgumentException.class, () -> PythonPickle.ints(d, "filenames", "cifar-100-python/test")).getMessage());
        assertEquals("cifar-100-python/test: 'fine_labels'[0] is Integer, not a str",
                assertThrows(IllegalArgumentException.class, () -> PythonPickle.strings(d, "fine_labels", "cifar-100-python/test")).getMessage());
        assertEquals("meta: expected a dict, found ArrayList",
                assertThrows(IllegalArgumentException.class, () -> PythonPickle.dict(PythonPickle.load(PickleWriter.pickle(List.of(1)), "meta"), "meta")).getMessage());
    }

    /**
     * numpy arrays as Python 3 pickles them (numpy-pN.pkl, written by numpy_pickles.py next to them): protocols 2 (raw
     * data through _codecs.encode), 3 and 4 (bytes; 4 with STACK_GLOBAL), 5 (_frombuffer, numpy._core); two arrays
     * share one memoized dtype.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5})
    void numpyArraysAsPython3PicklesThem(int protocol) throws IOException {
        String name = "numpy-p" + protocol + ".pkl";
        byte[] bytes;
        try (InputStream in = getClass().getResourceAsStream(name)) {
            bytes = in.readAllBytes();
        }
        Map<String, Object> d = PythonPickle.dict(PythonPickle.load(bytes, name), name);
        assertArray(PythonPickle.array(d, "data", name), "u1", new int[] {2, 3}, false, 0, 1, 127, 128, 255, 7);
        assertArray(PythonPickle.array(d, "mask", name), "u1", new int[] {3}, false, 255, 0, 1);
        assertArray(PythonPickle.array(d, "ids", name), "<i8", new int[] {2}, false, 1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertArray(PythonPickle.array(d, "columns", name), ">f4", new int[] {2, 1}, true, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0);
        assertEquals(List.of(1, 2), PythonPickle.ints(d, "labels", name));
    }

    private static void assertArray(NumpyArray a, String dtype, int[] shape, boolean fortranOrder, int... data) {
        assertEquals(dtype, a.dtype());
        assertArrayEquals(shape, a.shape());
        assertEquals(fortranOrder, a.fortranOrder());
        byte[] expected = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            expected[i] = (byte) data[i];
        }
        assertArrayEquals(expected, a.data());
    }
}
