package dev.dacspark.spark.data.mtil;

import us.hebi.matlab.mat.format.CharEncoding;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.Char;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Struct;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes MATLAB Level 5 MAT-files with mfl-core's own writer (compressed elements, as MATLAB v7 saves them), for
 * miniature copies of Oxford Flowers-102 and Stanford Cars in their distributed layout.
 */
final class MatWriter {
    private MatWriter() {}

    /** Writes the variables, in order, to {@code file}. */
    static void write(Path file, Map<String, ? extends Array> variables) throws IOException {
        us.hebi.matlab.mat.types.MatFile mat = Mat5.newMatFile();
        variables.forEach(mat::addArray);
        Mat5.writeToFile(mat, file.toFile());
    }

    /** A 1xN row vector of the given numeric class. */
    static Matrix row(MatlabType type, int... values) {
        Matrix m = Mat5.newMatrix(1, values.length, type);
        for (int i = 0; i < values.length; i++) {
            m.setInt(i, values[i]);
        }
        return m;
    }

    /** A 1xN double row vector. */
    static Matrix doubles(double... values) {
        Matrix m = Mat5.newMatrix(1, values.length);
        for (int i = 0; i < values.length; i++) {
            m.setDouble(i, values[i]);
        }
        return m;
    }

    /** A 1xN char row, stored as MATLAB stores char data: miUINT16 (mfl-core's default would be miUTF8). */
    static Char chars(String s) {
        return Mat5.newString(s, CharEncoding.UInt16);
    }

    /** A 1xN cell array of char rows. */
    static Cell cellOfChar(List<String> strings) {
        Cell c = Mat5.newCell(1, strings.size());
        for (int i = 0; i < strings.size(); i++) {
            c.set(i, chars(strings.get(i)));
        }
        return c;
    }

    /**
     * A 1xN struct array; element i's fields from {@code elements.get(i)}, every element with the same fields in the
     * same order: an Array as is, a String as a char row, a Number as a double scalar.
     */
    static Struct structRow(List<? extends Map<String, ?>> elements) {
        Struct s = Mat5.newStruct(1, elements.size());
        for (int i = 0; i < elements.size(); i++) {
            for (Map.Entry<String, ?> field : elements.get(i).entrySet()) {
                Object v = field.getValue();
                Array a = v instanceof Array array ? array
                        : v instanceof String str ? chars(str)
                        : Mat5.newScalar(((Number) v).doubleValue());
                s.set(field.getKey(), i, a);
            }
        }
        return s;
    }

    /** Flowers-102's {@code imagelabels.mat}: {@code labels}, 1xN double, the class (1..102) of image i+1. */
    static void flowersLabels(Path file, int[] labels) throws IOException {
        write(file, Map.of("labels", row(MatlabType.Double, labels)));
    }

    /** Flowers-102's {@code setid.mat}: {@code trnid}, {@code valid}, {@code tstid}, 1xN rows of 1-based image ids. */
    static void flowersSetId(Path file, int[] trn, int[] val, int[] tst) throws IOException {
        Map<String, Matrix> vars = new LinkedHashMap<>();
        vars.put("trnid", row(MatlabType.UInt16, trn));
        vars.put("valid", row(MatlabType.UInt16, val));
        vars.put("tstid", row(MatlabType.UInt16, tst));
        write(file, vars);
    }

    /** Stanford Cars' {@code devkit/cars_meta.mat}: {@code class_names}, a 1xN cell of char (class i+1's name). */
    static void carsMeta(Path file, List<String> names) throws IOException {
        write(file, Map.of("class_names", cellOfChar(names)));
    }

    /**
     * Stanford Cars' {@code devkit/cars_train_annos.mat} or {@code cars_test_annos_withlabels.mat}: {@code
     * annotations}, a 1xN struct with bbox_x1, bbox_y1, bbox_x2, bbox_y2 (uint16, a made-up box), class (uint8,
     * 1-based) and fname (char).
     */
    static void carsAnnotations(Path file, List<String> fnames, int[] classes) throws IOException {
        if (fnames.size() != classes.length) {
            throw new IllegalArgumentException(fnames.size() + " file names, " + classes.length + " classes");
        }
        List<Map<String, Object>> annotations = new ArrayList<>();
        for (int i = 0; i < classes.length; i++) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("bbox_x1", row(MatlabType.UInt16, 1 + i));
            a.put("bbox_y1", row(MatlabType.UInt16, 2 + i));
            a.put("bbox_x2", row(MatlabType.UInt16, 300 + i));
            a.put("bbox_y2", row(MatlabType.UInt16, 200 + i));
            a.put("class", row(MatlabType.UInt8, classes[i]));
            a.put("fname", fnames.get(i));
            annotations.add(a);
        }
        write(file, Map.of("annotations", structRow(annotations)));
    }
}
