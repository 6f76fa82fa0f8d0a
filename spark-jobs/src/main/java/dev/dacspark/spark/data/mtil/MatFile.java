package dev.dacspark.spark.data.mtil;

import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.Char;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Sources;
import us.hebi.matlab.mat.types.Struct;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The variables of a MATLAB Level 5 MAT-file (MATLAB v5 to v7, compressed or not; not v7.3, which is HDF5), read with
 * mfl-core. Oxford Flowers-102 ships {@code imagelabels.mat} ({@code labels}: 1x8189 double, classes 1..102) and
 * {@code setid.mat} ({@code trnid}, {@code valid}, {@code tstid}: 1xN image ids, 1-based); Stanford Cars ships
 * {@code cars_meta.mat} ({@code class_names}: 1x196 cell of char) and the annotation files ({@code annotations}: 1xN
 * struct with bbox_x1, bbox_y1, bbox_x2, bbox_y2, class (1-based) and fname).
 *
 * <p>Arrays are flattened in MATLAB's column-major order (for the datasets' row vectors, that is their order). Every
 * error is an {@link IllegalArgumentException} naming the file's uri and the variable, and saying what was found.
 */
public final class MatFile {
    private final String uri;
    /** the file's variables, in file order */
    private final Map<String, Array> variables;

    private MatFile(String uri, Map<String, Array> variables) {
        this.uri = uri;
        this.variables = variables;
    }

    /** Parses a whole MAT-file; {@code uri} names it in errors. */
    public static MatFile parse(byte[] bytes, String uri) {
        Map<String, Array> variables = new LinkedHashMap<>();
        try {
            for (us.hebi.matlab.mat.types.MatFile.Entry e : Mat5.newReader(Sources.wrap(bytes)).readMat().getEntries()) {
                variables.put(e.getName(), e.getValue());
            }
        } catch (Exception e) { // IOException, and mfl-core's runtime exceptions on malformed or truncated data
            throw new IllegalArgumentException(uri + ": not a readable MATLAB Level 5 .mat file (" + e + ")", e);
        }
        return new MatFile(uri, variables);
    }

    /** A numeric array's values (any class: double, single, int8..uint64, logical), flattened column-major; each must be an int. */
    public int[] ints(String variable) {
        Matrix m = matrix(variable(variable), "variable '" + variable + "'");
        int[] out = new int[m.getNumElements()];
        for (int i = 0; i < out.length; i++) {
            double v = m.getDouble(i);
            if ((int) v != v) {
                throw error(variable, "element " + i + " is " + v + ", not an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** A cell array of char (one row each, e.g. Stanford Cars' class names), flattened column-major. */
    public List<String> strings(String variable) {
        Array a = variable(variable);
        if (!(a instanceof Cell cell)) {
            throw error(variable, "is " + describe(a) + ", not a cell array of char");
        }
        List<String> out = new ArrayList<>(cell.getNumElements());
        for (int i = 0; i < cell.getNumElements(); i++) {
            out.add(string(cell.get(i), "element " + i + " of variable '" + variable + "'"));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * A struct array's elements, flattened column-major: each a map from field name (in the file's order) to its value,
     * a numeric scalar as an Integer when integral, else a Double; a char row as a String.
     */
    public List<Map<String, Object>> structs(String variable) {
        Array a = variable(variable);
        if (!(a instanceof Struct struct)) {
            throw error(variable, "is " + describe(a) + ", not a struct array");
        }
        List<Map<String, Object>> out = new ArrayList<>(struct.getNumElements());
        for (int i = 0; i < struct.getNumElements(); i++) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (String field : struct.getFieldNames()) {
                Array value = struct.get(field, i);
                String what = "field '" + field + "' of element " + i + " of variable '" + variable + "'";
                fields.put(field, value instanceof Char ? string(value, what) : scalar(value, what));
            }
            out.add(Collections.unmodifiableMap(fields));
        }
        return Collections.unmodifiableList(out);
    }

    private Array variable(String name) {
        Array a = variables.get(name);
        if (a == null) {
            throw error(name, "is missing (the file has: " + String.join(", ", variables.keySet()) + ")");
        }
        return a;
    }

    private Matrix matrix(Array a, String what) {
        if (!(a instanceof Matrix m) || m.isComplex()) {
            throw new IllegalArgumentException(uri + ": " + what + " is " + describe(a) + ", not a real numeric array");
        }
        return m;
    }

    private Object scalar(Array a, String what) {
        Matrix m = matrix(a, what);
        if (m.getNumElements() != 1) {
            throw new IllegalArgumentException(uri + ": " + what + " is " + describe(a) + ", not a scalar or a char row");
        }
        double v = m.getDouble(0);
        return (int) v == v ? (Object) (int) v : (Object) v;
    }

    private String string(Array a, String what) {
        if (!(a instanceof Char c) || c.getNumRows() > 1) {
            throw new IllegalArgumentException(uri + ": " + what + " is " + describe(a) + ", not a char row");
        }
        return c.getString();
    }

    private IllegalArgumentException error(String variable, String message) {
        return new IllegalArgumentException(uri + ": variable '" + variable + "' " + message);
    }

    /** e.g. "a 1x8189 double array", "a 1x196 cell array", "a 1x3 struct array (fields bbox_x1, fname)" */
    private static String describe(Array a) {
        String dims = Arrays.stream(a.getDimensions()).mapToObj(Integer::toString).collect(Collectors.joining("x"));
        String type = a instanceof Matrix m && m.isLogical() ? "logical" : a.getType().toString(); // MATLAB's class name
        String fields = a instanceof Struct s ? " (fields " + String.join(", ", s.getFieldNames()) + ")" : "";
        return "a " + dims + " " + type + " array" + fields;
    }
}
