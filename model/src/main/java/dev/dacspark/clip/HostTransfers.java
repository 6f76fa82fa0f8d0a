package dev.dacspark.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The one door between Java memory and the engine's arrays: every array made from Java data (host to
 * device) and every read of an array into Java (device to host) in the main code goes through here, and
 * is counted.
 *
 * <p>Why one door: on a GPU each such transfer is a blocking copy that stalls the stream (a read waits for
 * every queued kernel), so a training step must make few of them, and DJL has no hook that counts them.
 * With every path through this class, {@link #count()} is the whole truth by construction;
 * {@code HostTransfersDoorTest} (and its spark-jobs twin) scans the compiled main classes and fails when
 * any other class calls DJL's array-from-Java-data or array-to-Java methods ({@code NDManager.create(data)},
 * {@code toFloatArray}, {@code getFloat}, an operation with a Java number such as {@code x.mul(2f)}, which
 * uploads the number, ...).
 *
 * <p>Not transfers: fills and ranges ({@code zeros}, {@code ones}, {@code full}, {@code arange}, random
 * draws), whose value travels as a kernel argument like an axis or a shape (no host memory is copied and
 * the stream does not wait), and copies between arrays on the device.
 *
 * <p>Uploads land in libtorch's own memory: DJL's PyTorch engine wraps a Java direct buffer (16-byte aligned,
 * at an address that changes from run to run) for {@code manager.create(float[])}, while libtorch's own
 * allocations are 64-byte aligned, and MKL computes bitwise reproducible results ({@code MKL_CBWR}) only for
 * aligned inputs; and an array on memory that Java frees must never reach autograd (see {@link Tensors}).
 * Reads leave nothing behind: DJL's {@code toFloatArray} makes a CPU copy (from a GPU) or a contiguous copy
 * (of a view) attached to the array's manager, freed only with that manager; here those copies live in a
 * scratch manager closed after the read.
 *
 * <p>The counters are the JVM's (thread-safe): a difference of two {@link #count()}s taken around a step is
 * that step's transfers when no other thread of the JVM uses the engine meanwhile.
 */
public final class HostTransfers {
    private static final LongAdder TO_DEVICE = new LongAdder();
    private static final LongAdder TO_HOST = new LongAdder();
    private static final LongAdder BYTES_TO_DEVICE = new LongAdder();
    private static final LongAdder BYTES_TO_HOST = new LongAdder();

    private HostTransfers() {}

    /** Transfers so far in this JVM, by direction: how many and how many bytes. */
    public record Count(long toDevice, long toHost, long bytesToDevice, long bytesToHost) implements java.io.Serializable {
        /** The transfers since {@code earlier}. */
        public Count minus(Count earlier) {
            return new Count(toDevice - earlier.toDevice, toHost - earlier.toHost, bytesToDevice - earlier.bytesToDevice,
                    bytesToHost - earlier.bytesToHost);
        }

        /** These and {@code more} together. */
        public Count plus(Count more) {
            return new Count(toDevice + more.toDevice, toHost + more.toHost, bytesToDevice + more.bytesToDevice,
                    bytesToHost + more.bytesToHost);
        }

        /** Both directions. */
        public long transfers() {
            return toDevice + toHost;
        }
    }

    /** The counters now. */
    public static Count count() {
        return new Count(TO_DEVICE.sum(), TO_HOST.sum(), BYTES_TO_DEVICE.sum(), BYTES_TO_HOST.sum());
    }

    /** A float32 array of the given shape holding {@code data}, in libtorch's memory, on the manager's device. */
    public static NDArray float32(NDManager manager, float[] data, Shape shape) {
        return upload(manager, FloatBuffer.wrap(data), shape, DataType.FLOAT32, 4L * data.length);
    }

    /** An int64 array of the given shape holding {@code data}, in libtorch's memory, on the manager's device. */
    public static NDArray int64(NDManager manager, long[] data, Shape shape) {
        return upload(manager, LongBuffer.wrap(data), shape, DataType.INT64, 8L * data.length);
    }

    /**
     * A float32 array of the given shape holding the floats of {@code data} (native byte order, position 0 to
     * {@code shape.size()}), in libtorch's memory, on the manager's device.
     */
    public static NDArray float32(NDManager manager, ByteBuffer data, Shape shape) {
        ByteBuffer view = data.duplicate().order(ByteOrder.nativeOrder()).position(0).limit(Math.toIntExact(4 * shape.size()));
        return upload(manager, view, shape, DataType.FLOAT32, 4L * shape.size());
    }

    /**
     * A uint8 array of the given shape holding the bytes of {@code data} (position 0 to {@code shape.size()}), in
     * libtorch's memory, for a manager on the CPU: a copy within host memory, where the CPU is the device, so not a
     * transfer and not counted. Refused for a manager on any other device, where it would be one.
     */
    public static NDArray uint8OnCpu(NDManager manager, ByteBuffer data, Shape shape) {
        if (!Device.Type.CPU.equals(manager.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("uint8OnCpu: the manager is on " + manager.getDevice() + ", not a CPU: that would be a transfer");
        }
        return copyIn(manager, data.duplicate().position(0).limit(Math.toIntExact(shape.size())), shape, DataType.UINT8);
    }

    private static NDArray upload(NDManager manager, Buffer data, Shape shape, DataType type, long bytes) {
        TO_DEVICE.increment();
        BYTES_TO_DEVICE.add(bytes);
        return copyIn(manager, data, shape, type);
    }

    /** A copy of {@code data} in libtorch's own memory (see the class comment), not the Java buffer wrapped. */
    private static NDArray copyIn(NDManager manager, Buffer data, Shape shape, DataType type) {
        try (NDArray wrapped = manager.create(data, shape, type)) {
            return wrapped.duplicate();
        }
    }

    /** The values of {@code a} (any numeric type, converted to float32 on its device), in row-major order. */
    public static float[] floats(NDArray a) {
        return read(a, DataType.FLOAT32, 4, NDArray::toFloatArray);
    }

    /**
     * The values of {@code a} (any numeric type, converted to float32 on its device), in row-major order, written
     * into {@code into} (native byte order) from position 0, whose limit becomes their end: one copy, no Java array.
     */
    public static ByteBuffer floats(NDArray a, ByteBuffer into) {
        return read(a, DataType.FLOAT32, 4, copy -> into.clear().put(copy.toByteBuffer(true)).flip());
    }

    /** The values of {@code a} (any integer type, converted to int64 on its device), in row-major order. */
    public static long[] longs(NDArray a) {
        return read(a, DataType.INT64, 8, NDArray::toLongArray);
    }

    private static <T> T read(NDArray a, DataType type, int elementBytes, Function<NDArray, T> reader) {
        TO_HOST.increment();
        BYTES_TO_HOST.add(elementBytes * a.size());
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            NDArray copy = a.toType(type, true); // on a's device; every copy the read makes from it is scratch's
            NDScope.unregister(copy);
            copy.attach(scratch);
            return reader.apply(copy.toDevice(Device.cpu(), false));
        }
    }
}
