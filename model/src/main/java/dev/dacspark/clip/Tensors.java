package dev.dacspark.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * Products and quotients with numbers, safe to differentiate, and the scalars they use.
 *
 * <p>DJL's {@code x.mul(2f)} and {@code x.div(2f)} wrap the number in a Java direct buffer and free it right after the
 * call, but autograd keeps that scalar for the gradient of mul and div. Once the garbage collector has freed the
 * buffer, the backward pass reads freed memory: NaN losses now and then, and runs that are not bit for bit
 * reproducible. Products and quotients with numbers therefore go through {@link #mul} and {@link #div}, whose scalar
 * libtorch owns and autograd keeps alive. (Sums keep no operand for the backward pass.)
 *
 * <p>Each such number is also an upload (see {@link HostTransfers}), so the scalars are {@link #constant constants}:
 * made once per device and value, by a fill on the device, and kept for the life of the JVM. They are meant for the
 * values that recur every step (the model's and the method's constants, the optimiser's betas); a value that changes
 * every step (a learning rate) is a fill of its own, made once per step.
 */
public final class Tensors {
    private static final ConcurrentMap<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();
    private static final ConcurrentMap<Constant, NDArray> CONSTANTS = new ConcurrentHashMap<>();

    private record Constant(Device device, Object key) {}

    private Tensors() {}

    /** {@code x * value}; safe to differentiate. */
    public static NDArray mul(NDArray x, float value) {
        return x.mul(constant(x.getDevice(), value));
    }

    /** {@code x / value}; safe to differentiate. */
    public static NDArray div(NDArray x, float value) {
        return x.div(constant(x.getDevice(), value));
    }

    /**
     * A 0-dimensional float32 array holding {@code value} on {@code device}, in libtorch's memory: the same array for
     * every call with this device and value, never closed. Use it as the second operand of an operation (a result
     * belongs to its first operand's manager, and in-place operations on it would change it for every caller).
     */
    public static NDArray constant(Device device, float value) {
        return constant(device, Float.floatToIntBits(value), m -> m.full(new Shape(), value));
    }

    /**
     * The array {@code make} builds on a manager of {@code device}, made once per device and key and never closed, as
     * {@link #constant(Device, float)} (whose keys are Integers: give other keys another type). What make builds on
     * the way is freed.
     */
    public static NDArray constant(Device device, Object key, Function<NDManager, NDArray> make) {
        return CONSTANTS.computeIfAbsent(new Constant(device, key), c -> {
            try (NDScope scope = new NDScope()) {
                NDArray a = make.apply(MANAGERS.computeIfAbsent(device, NDManager::newBaseManager));
                NDScope.unregister(a);
                return a;
            }
        });
    }
}
