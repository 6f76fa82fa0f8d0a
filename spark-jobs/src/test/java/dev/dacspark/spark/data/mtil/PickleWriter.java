package dev.dacspark.spark.data.mtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes protocol-2 pickles opcode by opcode as Python 2's cPickle wrote CIFAR-100's files: PROTO 2; dicts as EMPTY_DICT
 * then MARK ... SETITEMS (SETITEM for one pair), lists as EMPTY_LIST then MARK ... APPENDS (APPEND for one item), both in
 * batches of 1000; a str as SHORT_BINSTRING (under 256 bytes) or BINSTRING; an int as BININT1, BININT2 or BININT; a
 * numpy uint8 array as {@code numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')} then BUILD with {@code (1,
 * shape, numpy.dtype('u1', 0, 1) BUILD (3, '|', None, None, None, -1, -1, 0), False, rawdata)}; a BINPUT after each
 * object cPickle memoizes; STOP.
 *
 * <p>Values: String (a Python 2 str of one byte per char, chars under 256), Integer, Boolean, null, List, Map with String
 * keys (in its iteration order), {@link Uint8Array}.
 */
final class PickleWriter {
    /** a numpy uint8 ndarray, C order */
    record Uint8Array(int[] shape, byte[] data) {}

    private static final int BATCH = 1000; // cPickle's batch size for APPENDS and SETITEMS

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int memo;

    private PickleWriter() {}

    /** {@code value} as a protocol-2 pickle. */
    static byte[] pickle(Object value) {
        PickleWriter w = new PickleWriter();
        w.op(0x80).op(2); // PROTO 2
        w.value(value);
        w.op('.'); // STOP
        return w.out.toByteArray();
    }

    static void write(Path file, Object value) throws IOException {
        Files.write(file, pickle(value));
    }

    /**
     * CIFAR-100's {@code train} or {@code test}: filenames, batch_label ('training batch 1 of 1' for a file named
     * train, else 'testing batch 1 of 1'), fine_labels, coarse_labels and data, uint8 N x 3072 (R, G, B planes of 32x32).
     */
    static void cifarBatch(Path file, List<String> filenames, int[] fineLabels, int[] coarseLabels, byte[] data) throws IOException {
        int n = filenames.size();
        if (fineLabels.length != n || coarseLabels.length != n || data.length != n * 3072) {
            throw new IllegalArgumentException(n + " file names, " + fineLabels.length + " fine and " + coarseLabels.length
                    + " coarse labels, " + data.length + " bytes of data");
        }
        Map<String, Object> batch = new LinkedHashMap<>();
        batch.put("filenames", filenames);
        batch.put("batch_label", file.getFileName().toString().equals("train") ? "training batch 1 of 1" : "testing batch 1 of 1");
        batch.put("fine_labels", boxed(fineLabels));
        batch.put("coarse_labels", boxed(coarseLabels));
        batch.put("data", new Uint8Array(new int[] {n, 3072}, data));
        write(file, batch);
    }

    /** CIFAR-100's {@code meta}: fine_label_names and coarse_label_names. */
    static void cifarMeta(Path file, List<String> fine, List<String> coarse) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("fine_label_names", fine);
        meta.put("coarse_label_names", coarse);
        write(file, meta);
    }

    private static List<Integer> boxed(int[] values) {
        List<Integer> out = new ArrayList<>(values.length);
        for (int v : values) {
            out.add(v);
        }
        return out;
    }

    private void value(Object v) {
        if (v == null) {
            op('N'); // NONE
        } else if (v instanceof Boolean b) {
            op(b ? 0x88 : 0x89); // NEWTRUE, NEWFALSE
        } else if (v instanceof Integer i) {
            integer(i);
        } else if (v instanceof String s) {
            if (!s.chars().allMatch(c -> c < 0x100)) {
                throw new IllegalArgumentException("a Python 2 str holds bytes: " + s);
            }
            str(s.getBytes(StandardCharsets.ISO_8859_1));
        } else if (v instanceof List<?> list) {
            op(']').put(); // EMPTY_LIST
            batches(list, this::value, 'a', 'e'); // APPEND, APPENDS
        } else if (v instanceof Map<?, ?> map) {
            op('}').put(); // EMPTY_DICT
            batches(new ArrayList<>(map.entrySet()), e -> {
                value(e.getKey());
                value(e.getValue());
            }, 's', 'u'); // SETITEM, SETITEMS
        } else if (v instanceof Uint8Array a) {
            ndarray(a);
        } else {
            throw new IllegalArgumentException("cannot pickle a " + v.getClass().getSimpleName());
        }
    }

    /** items in batches of 1000: one as item + single, more as MARK items multiple */
    private <T> void batches(List<T> items, Consumer<T> write, char single, char multiple) {
        for (int from = 0; from < items.size(); from += BATCH) {
            List<T> batch = items.subList(from, Math.min(items.size(), from + BATCH));
            if (batch.size() > 1) {
                op('('); // MARK
            }
            batch.forEach(write);
            op(batch.size() > 1 ? multiple : single);
        }
    }

    /** _reconstruct(ndarray, (0,), 'b') BUILD (1, shape, dtype('u1', 0, 1) BUILD (3, '|', ...), False, rawdata) */
    private void ndarray(Uint8Array a) {
        global("numpy.core.multiarray", "_reconstruct");
        global("numpy", "ndarray");
        integer(0);
        op(0x85).put(); // TUPLE1: (0,)
        str(new byte[] {'b'});
        op(0x87).put(); // TUPLE3: the arguments
        op('R').put(); // REDUCE
        op('('); // MARK: the state tuple
        integer(1);
        tuple(a.shape());
        global("numpy", "dtype");
        str("u1".getBytes(StandardCharsets.US_ASCII));
        integer(0);
        integer(1);
        op(0x87).put(); // TUPLE3: ('u1', 0, 1)
        op('R').put(); // REDUCE
        op('('); // MARK: the dtype's state (3, '|', None, None, None, -1, -1, 0)
        integer(3);
        str(new byte[] {'|'});
        op('N').op('N').op('N');
        integer(-1);
        integer(-1);
        integer(0);
        op('t').put(); // TUPLE
        op('b'); // BUILD
        op(0x89); // NEWFALSE: is_fortran
        str(a.data());
        op('t').put(); // TUPLE
        op('b'); // BUILD
    }

    private void tuple(int[] items) {
        if (items.length > 3) {
            op('('); // MARK
        }
        for (int i : items) {
            integer(i);
        }
        op(switch (items.length) {
            case 0 -> ')'; // EMPTY_TUPLE (not memoized)
            case 1 -> 0x85; // TUPLE1
            case 2 -> 0x86; // TUPLE2
            case 3 -> 0x87; // TUPLE3
            default -> 't'; // TUPLE
        });
        if (items.length > 0) {
            put();
        }
    }

    private void global(String module, String name) {
        op('c').bytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII)).put(); // GLOBAL
    }

    private void integer(int i) {
        if (i >= 0 && i < 0x100) {
            op('K').op(i); // BININT1
        } else if (i >= 0 && i < 0x10000) {
            op('M').op(i & 0xff).op(i >>> 8); // BININT2
        } else {
            op('J').int4(i); // BININT
        }
    }

    private void str(byte[] b) {
        if (b.length < 0x100) {
            op('U').op(b.length); // SHORT_BINSTRING
        } else {
            op('T').int4(b.length); // BINSTRING
        }
        bytes(b).put();
    }

    /** BINPUT (LONG_BINPUT from 256 on) of the object just written */
    private void put() {
        if (memo < 0x100) {
            op('q').op(memo);
        } else {
            op('r').int4(memo);
        }
        memo++;
    }

    private PickleWriter int4(int i) {
        return op(i & 0xff).op((i >>> 8) & 0xff).op((i >>> 16) & 0xff).op(i >>> 24);
    }

    private PickleWriter op(int b) {
        out.write(b);
        return this;
    }

    private PickleWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }
}
