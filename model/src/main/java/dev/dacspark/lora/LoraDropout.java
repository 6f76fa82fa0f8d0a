package dev.dacspark.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Tensors;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The keep mask of one pool's LoRA dropout: an independent Bernoulli(1 - p) per element of the pool's input, 1 where
 * the element is kept. The pool multiplies its input by the mask and puts the 1 / (1 - p) on the rank-r product
 * (and on the router's [CLS] rows) instead of on every element of the input: the values of {@code torch.nn.Dropout}
 * up to rounding, with one pass over the input instead of three.
 *
 * <p>Where the mask comes from depends on the device. On a CPU it is drawn in Java: two elements from each 64-bit
 * draw of a {@link SplittableRandom}, an element kept when its 32 bits are at or above p * 2^32 (p in steps of
 * 2^-32, finer than the float uniform that libtorch compares), written as bytes and copied into libtorch's memory
 * once. libtorch's CPU bernoulli is serial, one mt19937 draw and a float per element, and was most of the step's
 * overhead over the frozen forward and backward (see the README's Performance section). On any other device the
 * device draws it (a uniform at or above p) from the engine's generator, and the host sends nothing.
 */
final class LoraDropout {
    private final float p;
    private final long threshold; // p * 2^32: an element's 32 bits below it drop the element
    /** The bytes of a mask before libtorch copies them: one buffer per thread, whatever the number of pools. */
    private static final ThreadLocal<ByteBuffer> BYTES = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));
    private SplittableRandom rng;

    LoraDropout(double p, long seed) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability " + p + " is not in (0, 1)");
        }
        this.p = (float) p;
        this.threshold = Math.round(p * 0x1p32);
        this.rng = new SplittableRandom(seed);
    }

    /** The probability of dropping an element. */
    float p() {
        return p;
    }

    /** Restarts the CPU generator (the engine's generator, for other devices, is seeded with the engine's random seed). */
    void seed(long seed) {
        rng = new SplittableRandom(seed);
    }

    /** The keep mask of x's shape on x's device: uint8 drawn here for a CPU, bool drawn by the device elsewhere. */
    NDArray keep(NDArray x) {
        return Device.Type.CPU.equals(x.getDevice().getDeviceType()) ? drawnHere(x) : drawnByDevice(x);
    }

    /** A keep mask drawn by x's device from the engine's generator: bool. */
    NDArray drawnByDevice(NDArray x) {
        Device device = x.getDevice();
        return x.getManager().randomUniform(0f, 1f, x.getShape(), DataType.FLOAT32, device).gte(Tensors.constant(device, p));
    }

    /** A keep mask drawn by this generator, for x on a CPU: uint8. */
    NDArray drawnHere(NDArray x) {
        Shape shape = x.getShape();
        int n = Math.toIntExact(shape.size());
        ByteBuffer bytes = BYTES.get();
        if (bytes.capacity() < n) {
            bytes = ByteBuffer.allocateDirect(n);
            BYTES.set(bytes);
        }
        int i = 0;
        for (; i + 1 < n; i += 2) {
            long bits = rng.nextLong();
            bytes.put(i, (bits & 0xFFFF_FFFFL) >= threshold ? (byte) 1 : 0);
            bytes.put(i + 1, (bits >>> 32) >= threshold ? (byte) 1 : 0);
        }
        if (i < n) {
            bytes.put(i, (rng.nextLong() & 0xFFFF_FFFFL) >= threshold ? (byte) 1 : 0);
        }
        return HostTransfers.uint8OnCpu(x.getManager(), bytes, shape);
    }
}
