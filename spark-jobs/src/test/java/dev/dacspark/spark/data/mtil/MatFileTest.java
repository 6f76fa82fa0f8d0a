package dev.dacspark.spark.data.mtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatFileTest {
    @TempDir
    Path dir;

    private MatFile read(Path file, String uri) throws IOException {
        return MatFile.parse(Files.readAllBytes(file), uri);
    }

    @Test
    void flowersLabelsAndSplits() throws IOException {
        Path labels = dir.resolve("imagelabels.mat");
        MatWriter.flowersLabels(labels, new int[] {77, 1, 102, 77, 5});
        assertArrayEquals(new int[] {77, 1, 102, 77, 5}, read(labels, "imagelabels.mat").ints("labels"));

        Path setid = dir.resolve("setid.mat");
        MatWriter.flowersSetId(setid, new int[] {2, 1}, new int[] {5}, new int[] {3, 4, 8189});
        MatFile ids = read(setid, "setid.mat");
        assertArrayEquals(new int[] {2, 1}, ids.ints("trnid"));
        assertArrayEquals(new int[] {5}, ids.ints("valid"));
        assertArrayEquals(new int[] {3, 4, 8189}, ids.ints("tstid"));
    }

    @Test
    void anyNumericClassAndColumnMajorOrder() throws IOException {
        Matrix m = Mat5.newMatrix(2, 3, MatlabType.Int32);
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                m.setInt(r, c, 10 * r + c); // [0 1 2; 10 11 12]
            }
        }
        Map<String, Array> vars = new LinkedHashMap<>();
        vars.put("m", m);
        vars.put("u8", MatWriter.row(MatlabType.UInt8, 0, 200, 255));
        vars.put("single", MatWriter.row(MatlabType.Single, -3, 7));
        Path file = dir.resolve("types.mat");
        MatWriter.write(file, vars);
        MatFile mat = read(file, "types.mat");
        assertArrayEquals(new int[] {0, 10, 1, 11, 2, 12}, mat.ints("m"));
        assertArrayEquals(new int[] {0, 200, 255}, mat.ints("u8"));
        assertArrayEquals(new int[] {-3, 7}, mat.ints("single"));
    }

    @Test
    void carsClassNamesKeepTheirSlashes() throws IOException {
        List<String> names = List.of("AM General Hummer SUV 2000", "Ram C/V Cargo Van Minivan 2012", "Chevrolet Express Cargo Van 2007", "");
        Path file = dir.resolve("cars_meta.mat");
        MatWriter.carsMeta(file, names);
        assertEquals(names, read(file, "cars_meta.mat").strings("class_names"));
    }

    @Test
    void carsAnnotationsAsStructs() throws IOException {
        Path file = dir.resolve("cars_train_annos.mat");
        MatWriter.carsAnnotations(file, List.of("00001.jpg", "00002.jpg", "00003.jpg"), new int[] {14, 3, 196});
        List<Map<String, Object>> annos = read(file, "cars_train_annos.mat").structs("annotations");
        assertEquals(3, annos.size());
        Map<String, Object> expectedFirst = new LinkedHashMap<>();
        expectedFirst.put("bbox_x1", 1);
        expectedFirst.put("bbox_y1", 2);
        expectedFirst.put("bbox_x2", 300);
        expectedFirst.put("bbox_y2", 200);
        expectedFirst.put("class", 14);
        expectedFirst.put("fname", "00001.jpg");
        assertEquals(expectedFirst, annos.get(0));
        assertEquals(List.copyOf(expectedFirst.keySet()), List.copyOf(annos.get(0).keySet()), "field order");
        assertEquals(List.of(14, 3, 196), annos.stream().map(a -> a.get("class")).toList());
        assertEquals(List.of("00001.jpg", "00002.jpg", "00003.jpg"), annos.stream().map(a -> a.get("fname")).toList());
    }

    @Test
    void structNumbersAreIntegerWhenIntegralElseDouble() throws IOException {
        Path file = dir.resolve("s.mat");
        MatWriter.write(file, Map.of("s", MatWriter.structRow(List.of(Map.of("x", 2.5), Map.of("x", -4.0)))));
        List<Map<String, Object>> s = read(file, "s.mat").structs("s");
        assertEquals(2.5, s.get(0).get("x"));
        assertEquals(-4, s.get(1).get("x"));
    }

    @Test
    void missingVariableNamesFileVariableAndWhatItHas() throws IOException {
        Path file = dir.resolve("setid.mat");
        Map<String, Matrix> vars = new LinkedHashMap<>();
        vars.put("valid", MatWriter.row(MatlabType.Double, 1));
        vars.put("tstid", MatWriter.row(MatlabType.Double, 2));
        MatWriter.write(file, vars);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(file, "flowers-102/setid.mat").ints("trnid"));
        assertEquals("flowers-102/setid.mat: variable 'trnid' is missing (the file has: valid, tstid)", e.getMessage());
    }

    @Test
    void truncatedFileFailsNamingIt() throws IOException {
        Path file = dir.resolve("imagelabels.mat");
        int[] labels = new int[500];
        Arrays.setAll(labels, i -> 1 + i % 102);
        MatWriter.flowersLabels(file, labels);
        byte[] bytes = Files.readAllBytes(file);
        for (int keep : new int[] {bytes.length / 2, 100, 10}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatFile.parse(Arrays.copyOf(bytes, keep), "flowers-102/imagelabels.mat"), "kept " + keep + " bytes");
            assertTrue(e.getMessage().startsWith("flowers-102/imagelabels.mat: not a readable MATLAB Level 5 .mat file"), e.getMessage());
        }
    }

    @Test
    void nonIntegralValueFailsNamingVariableAndValue() throws IOException {
        Path file = dir.resolve("imagelabels.mat");
        MatWriter.write(file, Map.of("labels", MatWriter.doubles(1, 2.5, 3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(file, "flowers-102/imagelabels.mat").ints("labels"));
        assertEquals("flowers-102/imagelabels.mat: variable 'labels' element 1 is 2.5, not an int", e.getMessage());
    }

    @Test
    void wrongTypesSayWhatWasFound() throws IOException {
        Path meta = dir.resolve("cars_meta.mat");
        MatWriter.carsMeta(meta, List.of("a", "b"));
        MatFile m = read(meta, "cars/devkit/cars_meta.mat");
        assertEquals("cars/devkit/cars_meta.mat: variable 'class_names' is a 1x2 cell array, not a real numeric array",
                assertThrows(IllegalArgumentException.class, () -> m.ints("class_names")).getMessage());
        assertEquals("cars/devkit/cars_meta.mat: variable 'class_names' is a 1x2 cell array, not a struct array",
                assertThrows(IllegalArgumentException.class, () -> m.structs("class_names")).getMessage());

        Path labels = dir.resolve("imagelabels.mat");
        MatWriter.flowersLabels(labels, new int[] {1, 2, 3});
        assertEquals("imagelabels.mat: variable 'labels' is a 1x3 double array, not a cell array of char",
                assertThrows(IllegalArgumentException.class, () -> read(labels, "imagelabels.mat").strings("labels")).getMessage());

        Path cell = dir.resolve("cell.mat");
        MatWriter.write(cell, Map.of("names", Mat5.newCell(1, 1).set(0, MatWriter.doubles(1))));
        assertEquals("cell.mat: element 0 of variable 'names' is a 1x1 double array, not a char row",
                assertThrows(IllegalArgumentException.class, () -> read(cell, "cell.mat").strings("names")).getMessage());

        Path struct = dir.resolve("struct.mat");
        MatWriter.write(struct, Map.of("annotations", MatWriter.structRow(List.of(Map.of("bbox", MatWriter.doubles(1, 2))))));
        assertEquals("struct.mat: field 'bbox' of element 0 of variable 'annotations' is a 1x2 double array, not a scalar or a char row",
                assertThrows(IllegalArgumentException.class, () -> read(struct, "struct.mat").structs("annotations")).getMessage());
    }

    @Test
    void notAMatFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatFile.parse("labels = [1 2 3]\n".repeat(20).getBytes(StandardCharsets.US_ASCII), "x/imagelabels.mat"));
        assertTrue(e.getMessage().startsWith("x/imagelabels.mat: not a readable MATLAB Level 5 .mat file"), e.getMessage());
    }
}
