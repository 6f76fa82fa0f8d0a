package dev.dacspark.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian header length, a JSON header mapping each tensor name to its dtype,
 * shape and byte range, an optional {@code __metadata__} string map, then the raw data.
 *
 * <p>Plain Java, no tensor library: tensors come back as {@link Tensor} (dtype, shape, bytes), read
 * one at a time, so files of any size work. Every inconsistency in a file (short header, bad JSON,
 * unknown dtype, a byte range that does not match the shape or runs past the end of the file) is
 * reported as a {@link CheckpointException} naming the file and the tensor.
 */
public final class SafeTensors {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers larger than this are not safetensors files (the reference implementation caps at 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The element types of the format, with their size in bytes. */
    public enum DType {
        F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** One tensor's entry in a file's header. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A tensor in memory: dtype, shape and little-endian bytes. */
    public record Tensor(DType dtype, long[] shape, ByteBuffer data) {

        /** A float32 tensor over {@code values} (copied). */
        public static Tensor ofFloats(long[] shape, float[] values) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(values);
            return new Tensor(DType.F32, shape.clone(), buf);
        }

        /** An int64 tensor over {@code values} (copied). */
        public static Tensor ofLongs(long[] shape, long[] values) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            buf.asLongBuffer().put(values);
            return new Tensor(DType.I64, shape.clone(), buf);
        }

        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Whether the values are F16 or BF16. */
        public boolean half() {
            return dtype == DType.F16 || dtype == DType.BF16;
        }

        /**
         * The values as float32, upcasting F16, BF16 and F64 (and integer types) as PyTorch's
         * {@code .float()} does.
         */
        public float[] toFloats() {
            int n = Math.toIntExact(numel());
            float[] out = new float[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b.rewind();
            switch (dtype) {
                case F32 -> b.asFloatBuffer().get(out);
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = halfToFloat(b.getShort(2 * i));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                    }
                }
                case F64 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.getDouble(8 * i);
                    }
                }
                case I64, I32, I16, I8, U8, BOOL -> {
                    long[] values = toLongs();
                    for (int i = 0; i < n; i++) {
                        out[i] = values[i];
                    }
                }
            }
            return out;
        }

        /**
         * This float32 tensor's values as {@code type}: F32 (itself), F16 or BF16, rounded to nearest even as PyTorch's
         * {@code .half()} and {@code .bfloat16()} round (F16: beyond +-65504 infinite, below 2^-24 subnormal or zero).
         */
        public Tensor as(DType type) {
            if (dtype != DType.F32) {
                throw new IllegalArgumentException("only a float32 tensor converts, not " + dtype);
            }
            if (type == DType.F32) {
                return this;
            }
            if (type != DType.F16 && type != DType.BF16) {
                throw new IllegalArgumentException("float32 converts to F16 or BF16, not " + type);
            }
            float[] values = toFloats();
            ByteBuffer buf = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; i++) {
                buf.putShort(2 * i, type == DType.F16 ? floatToHalf(values[i]) : floatToBfloat16(values[i]));
            }
            return new Tensor(type, shape.clone(), buf);
        }

        /** The values as int64; only for integer dtypes. */
        public long[] toLongs() {
            int n = Math.toIntExact(numel());
            long[] out = new long[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b.rewind();
            switch (dtype) {
                case I64 -> b.asLongBuffer().get(out);
                case I32 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = b.getInt(4 * i);
                    }
                }
                case I16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = b.getShort(2 * i);
                    }
                }
                case I8 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = b.get(i);
                    }
                }
                case U8, BOOL -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = b.get(i) & 0xff;
                    }
                }
                default -> throw new IllegalArgumentException("not an integer tensor: " + dtype);
            }
            return out;
        }
    }

    /** An open file: its header entries (in file order) and metadata; tensors are read on demand. */
    public static final class Reader implements AutoCloseable {
        private final Path path;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries,
                Map<String, String> metadata) {
            this.path = path;
            this.channel = channel;
            this.dataStart = dataStart;
            this.entries = entries;
            this.metadata = metadata;
        }

        public Path path() {
            return path;
        }

        /** Entries by tensor name, in the order of the file's header. */
        public Map<String, Entry> entries() {
            return entries;
        }

        /** The header's {@code __metadata__} (empty when absent). */
        public Map<String, String> metadata() {
            return metadata;
        }

        /** Reads one tensor; fails with the file and tensor name when it cannot. */
        public Tensor read(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new CheckpointException(path + ": no tensor named '" + name + "'");
            }
            int size = Math.toIntExact(e.end() - e.begin());
            ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            try {
                long pos = dataStart + e.begin();
                while (buf.hasRemaining()) {
                    int n = channel.read(buf, pos);
                    if (n < 0) {
                        throw new EOFException("end of file");
                    }
                    pos += n;
                }
            } catch (IOException ex) {
                throw new CheckpointException(path + ": cannot read tensor '" + name + "': " + ex.getMessage(), ex);
            }
            buf.flip();
            return new Tensor(e.dtype(), e.shape(), buf);
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new CheckpointException(path + ": " + e.getMessage(), e);
            }
        }
    }

    private SafeTensors() {}

    /**
     * Opens a file and validates its header against the file's size: every tensor's byte range
     * must lie inside the data section and match its dtype and shape.
     */
    public static Reader open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e, e);
        }
        try {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new CheckpointException(path + ": not a safetensors file (" + fileSize + " bytes, shorter than the 8-byte header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
                throw new CheckpointException(path + ": not a safetensors file (header length " + headerLen
                        + " does not fit a file of " + fileSize + " bytes)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new CheckpointException(path + ": not a safetensors file (header is not JSON: "
                        + e.getOriginalMessage() + ")", e);
            }
            if (root == null || !root.isObject()) {
                throw new CheckpointException(path + ": not a safetensors file (header is not a JSON object)");
            }
            long dataSize = fileSize - 8 - headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            var fields = root.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                Entry e = parseEntry(path, f.getKey(), f.getValue());
                if (e.end() > dataSize) {
                    throw new CheckpointException(path + ": tensor '" + e.name() + "' ends at byte " + e.end()
                            + " of the data section, but the file holds only " + dataSize
                            + " data bytes (truncated file?)");
                }
                entries.put(e.name(), e);
            }
            return new Reader(path, ch, 8 + headerLen, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            closeQuietly(ch);
            throw new CheckpointException(path + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode node) {
        String where = path + ": tensor '" + name + "'";
        JsonNode dt = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dt == null || shapeNode == null || offsets == null || !shapeNode.isArray() || !offsets.isArray()
                || offsets.size() != 2) {
            throw new CheckpointException(where + ": header entry needs dtype, shape and two data_offsets");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dt.asText());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": unsupported dtype '" + dt.asText() + "'");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new CheckpointException(where + ": bad shape " + shapeNode);
            }
            numel *= shape[i];
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end - begin != numel * dtype.bytes) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] do not hold "
                    + numel + " values of " + dtype);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Reads every tensor of a file (convenience for small files and tests). */
    public static Map<String, Tensor> readAll(Path path) {
        try (Reader r = open(path)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : r.entries().keySet()) {
                out.put(name, r.read(name));
            }
            return out;
        }
    }

    /**
     * Writes tensors (in the given order) and metadata, creating parent directories. The header is padded with spaces to a
     * multiple of 8 bytes, as the reference implementation does, so data stays aligned.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot create its directory: " + e, e);
        }
        try (OutputStream out = Files.newOutputStream(path)) {
            write(out, tensors, metadata);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot write: " + e, e);
        }
    }

    /** Writes a safetensors stream; see {@link #write(Path, Map, Map)}. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        List<Tensor> order = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long size = t.numel() * t.dtype().bytes;
            if (t.data().remaining() != size) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "': " + t.data().remaining()
                        + " bytes for " + t.numel() + " values of " + t.dtype());
            }
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", t.dtype().name());
            var shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            var off = node.putArray("data_offsets");
            off.add(offset);
            off.add(offset + size);
            offset += size;
            order.add(t);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        out.write(head.array());
        var channel = Channels.newChannel(out);
        for (Tensor t : order) {
            ByteBuffer b = t.data().duplicate();
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
        out.flush();
    }

    /** Reads only the header's metadata of a file. */
    public static Map<String, String> readMetadata(Path path) {
        try (Reader r = open(path)) {
            return r.metadata();
        }
    }

    /** Reads a safetensors stream fully into memory (for object-store inputs without random access). */
    public static Map<String, Tensor> readAll(InputStream in, String source) throws IOException {
        Path tmp = Files.createTempFile("dac-", ".safetensors");
        try {
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try {
                return readAll(tmp);
            } catch (CheckpointException e) {
                throw new CheckpointException(e.getMessage().replace(tmp.toString(), source), e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new EOFException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // the original error is the one to report
        }
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    /** IEEE half of f, rounded to nearest even. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00); // NaN (quiet)
        }
        if (abs >= 0x477ff000) { // 65520 and above (infinity too) round to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below 2^-14: subnormal, in units of 2^-24 (exact in double; rint rounds half to even)
            return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24));
        }
        int v = abs - (112 << 23); // rebias the exponent (127 -> 15), then drop 13 mantissa bits, half to even
        v += 0xfff + ((v >>> 13) & 1);
        return (short) (sign | (v >>> 13));
    }

    /** bfloat16 of f (the high 16 bits), rounded to nearest even. */
    static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // NaN (quiet)
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant / 1024f * (float) Math.pow(2, -14);
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
