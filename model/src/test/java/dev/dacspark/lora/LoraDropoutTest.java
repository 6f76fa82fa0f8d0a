package dev.dacspark.lora;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dacspark.clip.HostTransfers;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA dropout: an independent Bernoulli(1 - p) keep mask per element, from either source (drawn in Java for a CPU,
 * by the device elsewhere; both run here), and a pool whose update and input gradient with dropout are those of
 * torch.nn.Dropout's x * m / (1 - p), the router seeing the dropped input, computed here independently.
 */
class LoraDropoutTest {
    static final double P = 0.2;

    @Test
    void bothSourcesKeepOneMinusPOfTheElementsAndNothingElse() {
        // the Java draw is the CPU's; the device draw runs on the engine's default device (a GPU where there is one)
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            Shape odd = new Shape(1000, 1001); // odd: the last element of the Java draw is a draw of its own
            LoraDropout dropout = new LoraDropout(P, 1);
            for (NDArray mask : new NDArray[] {dropout.drawnHere(cpu.zeros(odd)), dropout.drawnByDevice(m.zeros(odd))}) {
                assertEquals(odd, mask.getShape());
                float[] v = HostTransfers.floats(mask);
                long kept = 0;
                for (float e : v) {
                    assertTrue(e == 0 || e == 1, "a mask holds 0 and 1 only, got " + e);
                    kept += (long) e;
                }
                double fraction = (double) kept / v.length;
                double sigma = Math.sqrt(P * (1 - P) / v.length); // 4e-4
                assertEquals(1 - P, fraction, 5 * sigma, mask.getDataType() + ": kept fraction");
            }
            assertEquals(DataType.UINT8, dropout.drawnHere(cpu.zeros(odd)).getDataType());
            assertEquals(DataType.BOOLEAN, dropout.drawnByDevice(m.zeros(odd)).getDataType());
            // either mask multiplies a float32 input into float32, and the gradient flows through the kept elements only
            for (NDManager on : new NDManager[] {cpu, m}) {
                NDArray y = on.randomNormal(new Shape(3, 5, 7));
                NDArray mask = on == cpu ? dropout.drawnHere(y) : dropout.drawnByDevice(y);
                NDArray in = y.duplicate();
                in.setRequiresGradient(true);
                float[] kept;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = in.mul(mask);
                    assertEquals(DataType.FLOAT32, out.getDataType());
                    kept = HostTransfers.floats(out);
                    gc.backward(out.sum());
                }
                float[] ys = HostTransfers.floats(y);
                float[] ms = HostTransfers.floats(mask);
                float[] g = HostTransfers.floats(in.getGradient());
                for (int i = 0; i < ys.length; i++) {
                    assertEquals(ys[i] * ms[i], kept[i], mask.getDataType() + " at " + i);
                    assertEquals(ms[i], g[i], mask.getDataType() + " gradient at " + i);
                }
            }
        }
    }

    @Test
    void theJavaDrawIsItsSeedsAndIndependentFromDrawToDraw() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) { // the Java draw is the CPU's
            NDArray x = m.zeros(new Shape(4, 7, 33));
            LoraDropout a = new LoraDropout(P, 0);
            LoraDropout b = new LoraDropout(P, 0);
            a.seed(42);
            b.seed(42);
            float[] first = HostTransfers.floats(a.drawnHere(x));
            assertArrayEquals(first, HostTransfers.floats(b.drawnHere(x)), "the same seed, the same mask");
            assertFalse(java.util.Arrays.equals(first, HostTransfers.floats(a.drawnHere(x))), "the next draw is a new mask");
            b.seed(43);
            assertFalse(java.util.Arrays.equals(first, HostTransfers.floats(b.drawnHere(x))), "another seed, another mask");
            // neighbours come from the two halves of one 64-bit draw: they must not be correlated
            float[] big = HostTransfers.floats(a.drawnHere(m.zeros(new Shape(400_000))));
            long both = 0;
            for (int i = 0; i + 1 < big.length; i += 2) {
                both += (long) (big[i] * big[i + 1]);
            }
            double pairs = big.length / 2.0;
            assertEquals((1 - P) * (1 - P), both / pairs, 5 * Math.sqrt(0.64 * 0.36 / pairs), "both of a pair kept");
        }
        assertThrows(IllegalArgumentException.class, () -> new LoraDropout(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LoraDropout(0, 0));
    }

    @Test
    void aPoolTrainsOnTheDroppedInputScaledByOneOverOneMinusP() {
        int n = 3;
        int len = 5;
        int dIn = 16;
        int dOut = 12;
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) { // the Java draw, which a generator seeded alike repeats
            ExpertPool pool = new ExpertPool("visual.test", dIn, dOut, DacConfig.defaults().withDropout(P));
            pool.initialize(m, new SplittableRandom(3));
            pool.loraB.set(m.randomNormal(pool.loraB.shape())); // B starts at zero: any update would be zero
            ExpertPool twin = new ExpertPool("visual.test", dIn, dOut, DacConfig.defaults().withDropout(0));
            twin.initialize(m, new SplittableRandom(3));
            twin.loraB.set(pool.loraB.array().duplicate());
            SplittableRandom values = new SplittableRandom(9);
            float[] xs = new float[n * len * dIn];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) values.nextGaussian();
            }
            Shape shape = new Shape(n, len, dIn);

            // the pool in training, its dropout seeded: the update and the gradient of its sum with respect to x
            pool.setTraining(true);
            pool.seedDropout(77);
            NDArray x = HostTransfers.float32(m, xs, shape);
            float[][] trained = updateAndGradient(pool, x);
            float[] update = trained[0];
            float[] grad = trained[1];

            // by hand: the same mask (a generator with the same seed), x' = x * m / (1 - p), the twin without dropout
            LoraDropout same = new LoraDropout(P, 0);
            same.seed(77);
            float[] keep = HostTransfers.floats(same.drawnHere(x));
            float[] dropped = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                dropped[i] = xs[i] * keep[i] / (float) (1 - P);
            }
            twin.setTraining(true);
            float[][] byHand = updateAndGradient(twin, HostTransfers.float32(m, dropped, shape));
            float[] expected = byHand[0];
            float[] grad2 = byHand[1];
            assertClose(expected, update, "the update");
            for (int i = 0; i < grad2.length; i++) {
                grad2[i] *= keep[i] / (float) (1 - P); // d x'/d x = m / (1 - p)
            }
            assertClose(grad2, grad, "the input gradient");
            long zeros = 0;
            for (int i = 0; i < grad.length; i++) {
                zeros += keep[i] == 0 ? 1 : 0;
                if (keep[i] == 0) {
                    assertEquals(0f, Math.abs(grad[i]), "a dropped element gets no gradient (" + i + ")");
                }
            }
            assertTrue(zeros > 0, "the mask dropped something");
            assertArrayEquals(twin.router.counts(), pool.router.counts(),
                    "the router voted on the dropped input");

            // evaluation: no dropout
            pool.setTraining(false);
            twin.setTraining(false);
            NDArray x3 = HostTransfers.float32(m, xs, shape);
            assertArrayEquals(HostTransfers.floats(twin.delta(x3)), HostTransfers.floats(pool.delta(x3)), "evaluation drops nothing");
        }
    }

    /** The pool's update of x and the gradient of its sum with respect to x. */
    private static float[][] updateAndGradient(ExpertPool pool, NDArray x) {
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = pool.delta(x);
            float[] update = HostTransfers.floats(y);
            gc.backward(y.sum());
            return new float[][] {update, HostTransfers.floats(x.getGradient())};
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertNotEquals(0.0, scale, what + " is zero: nothing was tested");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * scale, what + " at " + i);
        }
    }
}
