package dev.dacspark.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds the compiled classes that move data between Java and the engine without {@code clip.HostTransfers}:
 * every method a class file refers to (its constant pool's method references, which cover calls, method
 * references and lambdas alike) is checked against DJL's array-from-Java-data and array-to-Java methods:
 * <ul>
 *   <li>{@link NDManager}: {@code create*} with data (a buffer, a Java array, a number, a string: anything but
 *       shape, type and device), {@code decode}, {@code load};</li>
 *   <li>{@link NDArray}: the reads ({@code toArray}, {@code toByteBuffer}, {@code to*Array}, {@code get<Type>},
 *       {@code encode}, {@code toDebugString}, {@code contentEquals}, {@code allClose}), {@code set} from Java
 *       data, {@code cbrt} (DJL uploads the exponent), and every operation taking a {@link Number} (DJL
 *       uploads the number) except {@code clip}, whose bounds are kernel arguments;</li>
 *   <li>{@link NDArrays} operations taking a number, {@link NDList#encode} and {@code decode}.</li>
 * </ul>
 */
public final class TransferDoorScan {
    private static final Set<String> READS = Set.of("toArray", "toByteBuffer", "toFloatArray", "toDoubleArray", "toIntArray",
            "toLongArray", "toByteArray", "toUint8Array", "toUint32Array", "toBooleanArray", "toStringArray", "getFloat",
            "getDouble", "getInt", "getLong", "getByte", "getBoolean", "getUint8", "getInt8", "getString", "encode",
            "toDebugString", "contentEquals", "allClose", "cbrt");
    private static final Set<String> NO_DATA = Set.of("Lai/djl/ndarray/types/Shape;", "Lai/djl/ndarray/types/DataType;",
            "Lai/djl/Device;");

    private TransferDoorScan() {}

    /** The folder of compiled main classes that holds {@code c}. */
    public static Path classesOf(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "class -> owner.method(descriptor)" for every forbidden reference under {@code classes}, except in {@code door}'s own class files. */
    public static List<String> violations(Path classes, String door) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                name = name.substring(0, name.length() - ".class".length());
                if (name.equals(door) || name.startsWith(door + "$")) {
                    continue;
                }
                for (String[] ref : methodRefs(f)) {
                    if (forbidden(ref[0], ref[1], ref[2])) {
                        out.add(name.replace('/', '.') + " -> " + ref[0].replace('/', '.') + "." + ref[1] + ref[2]);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static boolean forbidden(String owner, String name, String descriptor) {
        if (!owner.startsWith("ai/djl/")) {
            return false;
        }
        Class<?> c;
        try {
            c = Class.forName(owner.replace('/', '.'), false, TransferDoorScan.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return false; // a DJL class this test's class path lacks: none of the array types
        }
        List<String> params = parameters(descriptor);
        if (NDManager.class.isAssignableFrom(c)) {
            return name.startsWith("create") && !NO_DATA.containsAll(params) || name.equals("decode") || name.equals("load");
        }
        if (NDArray.class.isAssignableFrom(c)) {
            return READS.contains(name)
                    || name.equals("set") && params.stream().anyMatch(p -> p.startsWith("[") || p.startsWith("Ljava/nio/"))
                    || !name.equals("clip") && params.contains("Ljava/lang/Number;");
        }
        if (c == NDArrays.class) {
            return params.contains("Ljava/lang/Number;");
        }
        return c == NDList.class && (name.equals("encode") || name.equals("decode"));
    }

    /** The parameter types of a method descriptor, e.g. {@code (F[JLjava/lang/String;)V} -> F, [J, Ljava/lang/String;. */
    static List<String> parameters(String descriptor) {
        List<String> out = new ArrayList<>();
        int i = 1;
        while (descriptor.charAt(i) != ')') {
            int start = i;
            while (descriptor.charAt(i) == '[') {
                i++;
            }
            i = descriptor.charAt(i) == 'L' ? descriptor.indexOf(';', i) + 1 : i + 1;
            out.add(descriptor.substring(start, i));
        }
        return out;
    }

    /** {owner, name, descriptor} of every method reference in a class file's constant pool. */
    static List<String[]> methodRefs(Path classFile) throws IOException {
        try (InputStream raw = Files.newInputStream(classFile); DataInputStream in = new DataInputStream(raw)) {
            if (in.readInt() != 0xCAFEBABE) {
                throw new IOException(classFile + " is not a class file");
            }
            in.readUnsignedShort(); // minor
            in.readUnsignedShort(); // major
            int n = in.readUnsignedShort();
            String[] utf8 = new String[n];
            int[] classNames = new int[n];
            int[][] pairs = new int[n][];
            boolean[] isMethod = new boolean[n];
            for (int i = 1; i < n; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 3, 4 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++; // eight-byte constants take two entries
                    }
                    case 7 -> classNames[i] = in.readUnsignedShort();
                    case 8, 16, 19, 20 -> in.readUnsignedShort();
                    case 10, 11 -> {
                        pairs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                        isMethod[i] = true;
                    }
                    case 9, 12, 17, 18 -> pairs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    default -> throw new IOException(classFile + ": unknown constant pool tag " + tag);
                }
            }
            Set<String> seen = new TreeSet<>();
            List<String[]> out = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                if (isMethod[i]) {
                    int[] nameAndType = pairs[pairs[i][1]];
                    String[] ref = {utf8[classNames[pairs[i][0]]], utf8[nameAndType[0]], utf8[nameAndType[1]]};
                    if (seen.add(String.join(" ", ref))) {
                        out.add(ref);
                    }
                }
            }
            return out;
        }
    }
}
