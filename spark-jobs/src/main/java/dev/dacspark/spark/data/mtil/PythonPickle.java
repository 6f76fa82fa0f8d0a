package dev.dacspark.spark.data.mtil;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDictConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python pickles, read with razorvine's {@link Unpickler}, plus numpy arrays. CIFAR-100 ships {@code train},
 * {@code test} (dicts: 'filenames', 'batch_label', 'fine_labels', 'coarse_labels' lists and 'data', a uint8 ndarray of
 * shape N x 3072: the R, G and B planes of a 32x32 image, row-major) and {@code meta} ('fine_label_names',
 * 'coarse_label_names'), written by Python 2's cPickle with protocol 2.
 *
 * <p>Python values come back as razorvine maps them: dict -> Map, list -> List, tuple -> Object[], int -> Integer or
 * Long, None -> null, bytes -> byte[]. A Python 2 str (BINSTRING) becomes a String of one char per byte (as Python 3
 * reads it with encoding='latin1', as torchvision does), so its bytes are recoverable exactly.
 *
 * <p>A numpy array is pickled as {@code numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')} followed by
 * BUILD with the state {@code (1, shape, dtype, is_fortran, rawdata)}, the dtype itself as {@code numpy.dtype('u1', 0,
 * 1)} followed by BUILD with {@code (3, endian, ...)}; that is the form of protocols 2 to 4, from Python 2 (rawdata a
 * str) and Python 3 (rawdata bytes). Protocol 5 writes {@code numpy.core.numeric._frombuffer(buffer, dtype, shape,
 * order)}. Newer numpy spells the modules {@code numpy._core}; both are read, as a {@link NumpyArray}.
 *
 * <p>The numpy names are resolved by this reader's own Unpickler rather than registered with
 * {@link Unpickler#registerConstructor}, whose registry is JVM-wide and shared with Spark's own (PySpark) unpickling.
 */
public final class PythonPickle {
    private PythonPickle() {}

    /**
     * A numpy ndarray: its dtype as numpy's short code ({@code u1}, {@code <i8}, {@code >f4}: the byte order, none
     * for single bytes, then kind and item size), its shape, whether its data is in Fortran (column-major) order,
     * and its raw data, {@code itemsize * prod(shape)} bytes.
     */
    public record NumpyArray(String dtype, int[] shape, boolean fortranOrder, byte[] data) {}

    /** Unpickles a whole pickle; {@code uri} names it in errors. */
    public static Object load(byte[] bytes, String uri) {
        NumpyUnpickler u = new NumpyUnpickler();
        try {
            return u.loads(bytes);
        } catch (IOException | RuntimeException e) { // razorvine's PickleException, and casts on malformed stacks
            throw new IllegalArgumentException(uri + ": not a readable Python pickle (" + e + ")", e);
        } finally {
            u.close();
        }
    }

    /** {@code o} as a dict with str keys. */
    public static Map<String, Object> dict(Object o, String uri) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(uri + ": expected a dict, found " + typeOf(o));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException(uri + ": expected a dict with str keys, found a key of type " + typeOf(e.getKey()));
            }
            out.put(key, e.getValue());
        }
        return out;
    }

    /** {@code d[key]}, a list of ints in the range of a Java int. */
    public static List<Integer> ints(Map<String, Object> d, String key, String uri) {
        List<?> list = list(d, key, uri);
        List<Integer> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            if (!((v instanceof Integer || v instanceof Long) && ((Number) v).intValue() == ((Number) v).longValue())) {
                throw new IllegalArgumentException(uri + ": '" + key + "'[" + i + "] is " + typeOf(v) + " " + v + ", not an int");
            }
            out.add(((Number) v).intValue());
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code d[key]}, a list of strs. */
    public static List<String> strings(Map<String, Object> d, String key, String uri) {
        List<?> list = list(d, key, uri);
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new IllegalArgumentException(uri + ": '" + key + "'[" + i + "] is " + typeOf(list.get(i)) + ", not a str");
            }
            out.add(s);
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code d[key]}, a numpy array. */
    public static NumpyArray array(Map<String, Object> d, String key, String uri) {
        if (!(value(d, key, uri) instanceof NumpyArray a)) {
            throw new IllegalArgumentException(uri + ": '" + key + "' is " + typeOf(d.get(key)) + ", not a numpy array");
        }
        return a;
    }

    private static List<?> list(Map<String, Object> d, String key, String uri) {
        if (!(value(d, key, uri) instanceof List<?> list)) {
            throw new IllegalArgumentException(uri + ": '" + key + "' is " + typeOf(d.get(key)) + ", not a list");
        }
        return list;
    }

    private static Object value(Map<String, Object> d, String key, String uri) {
        if (!d.containsKey(key)) {
            throw new IllegalArgumentException(uri + ": key '" + key + "' is missing (the dict has: " + String.join(", ", new TreeSet<>(d.keySet())) + ")");
        }
        return d.get(key);
    }

    private static String typeOf(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    /** razorvine's Unpickler that resolves numpy's globals itself and applies their BUILD states. */
    private static final class NumpyUnpickler extends Unpickler {
        /** what GLOBAL numpy.ndarray pushes: only ever _reconstruct's first argument */
        private static final Object NDARRAY = new Object();

        /** numpy.dtype(code, align, copy), before BUILD gives it its byte order */
        private record UnbuiltDtype(String code) {}

        /** _reconstruct(ndarray, (0,), 'b'): an empty array, before BUILD gives it shape, dtype and data */
        private static final class UnbuiltArray {}

        @Override
        protected Object dispatch(short opcode) throws IOException {
            switch (opcode) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    stack.add(global(module, PickleUtils.readline(input)));
                }
                case Opcodes.STACK_GLOBAL -> { // protocol 4+: module and name are on the stack
                    String name = (String) stack.pop();
                    stack.add(global((String) stack.pop(), name));
                }
                case Opcodes.BUILD -> {
                    Object state = stack.pop();
                    Object target = stack.peek();
                    if (target instanceof UnbuiltDtype dtype) {
                        replace(target, dtype(dtype, (Object[]) state));
                    } else if (target instanceof UnbuiltArray) {
                        Object[] s = (Object[]) state;
                        expect(s.length == 5 && Integer.valueOf(1).equals(s[0]) && s[3] instanceof Boolean,
                                "an ndarray state (1, shape, dtype, is_fortran, rawdata)", s);
                        replace(target, array(s[1], s[2], (Boolean) s[3], s[4]));
                    } else {
                        stack.add(state);
                        return super.dispatch(opcode);
                    }
                }
                default -> {
                    return super.dispatch(opcode);
                }
            }
            return NO_RETURN_VALUE;
        }

        /** numpy's constructors; any other name as razorvine resolves it (its registry, else a ClassDict) */
        private static Object global(String module, String name) {
            String numpyModule = module.replaceFirst("^numpy\\._core\\.", "numpy.core.");
            return switch (numpyModule + "." + name) {
                case "numpy.ndarray" -> NDARRAY;
                case "numpy.dtype" -> (IObjectConstructor) args -> new UnbuiltDtype((String) args[0]);
                case "numpy.core.multiarray._reconstruct" -> (IObjectConstructor) args -> {
                    expect(args.length == 3 && args[0] == NDARRAY, "_reconstruct(numpy.ndarray, (0,), 'b')", args);
                    return new UnbuiltArray();
                };
                case "numpy.core.numeric._frombuffer" -> (IObjectConstructor) args -> { // (buffer, dtype, shape, order)
                    expect(args.length == 4, "_frombuffer(buffer, dtype, shape, order)", args);
                    return array(args[2], args[1], "F".equals(args[3]), args[0]);
                };
                default -> {
                    IObjectConstructor c = objectConstructors.get(module + "." + name);
                    yield c != null ? c : new ClassDictConstructor(module, name);
                }
            };
        }

        /** Replaces an unbuilt object on the stack and in the memo (cPickle memoizes it before BUILD, e.g. a dtype). */
        private void replace(Object unbuilt, Object built) {
            stack.pop();
            stack.add(built);
            memo.replaceAll((k, v) -> v == unbuilt ? built : v);
        }

        /** state (version, endian, subarray, names, fields, elsize, alignment, flags[, metadata]); '|': no byte order */
        private static String dtype(UnbuiltDtype dtype, Object[] state) {
            expect(state.length >= 8 && state[1] instanceof String endian && endian.matches("[|<>]"), "a dtype state (3, endian, ...)", state);
            return state[1].equals("|") ? dtype.code() : state[1] + dtype.code();
        }

        private static final Pattern ITEM_SIZE = Pattern.compile("[<>]?([a-zA-Z])(\\d+)(\\[\\w+])?");

        private static NumpyArray array(Object shapeTuple, Object dtype, boolean fortranOrder, Object rawdata) {
            expect(shapeTuple instanceof Object[], "a shape tuple", shapeTuple);
            int[] shape = Arrays.stream((Object[]) shapeTuple).mapToInt(d -> ((Number) d).intValue()).toArray();
            expect(dtype instanceof String, "a numpy dtype", dtype);
            byte[] data = rawdata instanceof byte[] b ? b : rawdata instanceof String s ? latin1(s) : null;
            expect(data != null, "the array's raw data as str or bytes", rawdata);
            Matcher m = ITEM_SIZE.matcher((String) dtype);
            expect(m.matches(), "a dtype with an item size", dtype);
            long count = Arrays.stream(shape).asLongStream().reduce(1, Math::multiplyExact);
            long bytes = count * Long.parseLong(m.group(2)) * (m.group(1).equals("U") ? 4 : 1);
            if (bytes != data.length) {
                throw new PickleException("numpy array " + dtype + " " + Arrays.toString(shape) + " needs " + bytes
                        + " bytes of data, the pickle has " + data.length);
            }
            return new NumpyArray((String) dtype, shape, fortranOrder, data);
        }

        /** a Python 2 str's bytes: razorvine read it as one char per byte */
        private static byte[] latin1(String s) {
            expect(s.chars().allMatch(c -> c < 256), "the array's raw data as a byte string", "a unicode string");
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }

        private static void expect(boolean ok, String expected, Object found) {
            if (!ok) {
                String f = found instanceof Object[] t ? Arrays.deepToString(t) : String.valueOf(found);
                throw new PickleException("expected " + expected + ", found " + (f.length() > 200 ? f.substring(0, 200) + "..." : f));
            }
        }
    }
}
