package dev.dacspark.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backward pass reads only memory that libtorch owns. DJL's scalar arithmetic ({@code x.mul(2f)}) wraps the number
 * in a Java direct buffer that it frees right after the call, while autograd keeps that scalar for the gradient of
 * mul and div: when the garbage collector freed the buffer before the backward pass, the gradient read freed memory
 * (NaN losses now and then, runs that were not bit-for-bit reproducible). Here a collection is forced between forward
 * and backward, and the gradients must be exactly those of an undisturbed step. The collection must be a real one: a
 * scalar made as DJL makes them, in the forward pass, must have been collected and its direct buffer released before
 * the backward starts.
 */
class BackwardAfterCollectionTest {

    @Test
    void encoderGradientsAreTheSameWhenTheHeapIsCollectedBeforeBackward() {
        Map<String, float[]> undisturbed = poolGradients(Collective.SINGLE);
        Map<String, float[]> collected = poolGradients(new Collective.Single() {
            /** Called once per tower after its forward pass, before the loss and the backward pass. */
            @Override
            public NDArray gatherRows(NDArray local) {
                collectAndFreeDirectBuffers(local.getManager());
                return local;
            }
        });
        assertEquals(undisturbed.keySet(), collected.keySet());
        undisturbed.forEach((name, g) -> assertArrayEquals(g, collected.get(name), name));
    }

    @Test
    void lossGradientsAreTheSameWhenTheHeapIsCollectedBeforeBackward() {
        assertArrayEquals(lossGradient(false), lossGradient(true));
    }

    /** The LoRA gradients of one DAC step on the golden CLIP and batch (AGO on, with a memory of earlier columns). */
    private static Map<String, float[]> poolGradients(Collective collective) {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("dac"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TaskMemory memory = new TaskMemory(m)) { // the CPU: a tensor over Java memory
            ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools pools = ExpertPools.attach(model, DacConfig.defaults().withDropout(0));
            pools.initialize(m, 7);
            for (ExpertPool pool : pools.pools().values()) {
                memory.append(pool.name(), m.ones(new Shape(pool.loraB.shape().get(0), 2))); // P: (d_out, 2)
            }
            pools.setTraining(true);
            NDArray text = m.create(io.get("class_text").toLongs(), new Shape(io.get("class_text").shape()));
            DacStep.forwardBackward(model, pools, memory, Golden.array(io, "image", m), text, io.get("labels").toLongs(), collective);
            Map<String, float[]> out = new LinkedHashMap<>();
            AdamW.gradients(pools.parameters()).forEach((name, g) -> out.put(name, g.toFloatArray()));
            return out;
        }
    }

    /** d(CLIP loss)/d(logits) for a fixed 6 x 6 logit matrix. */
    private static float[] lossGradient(boolean collectBeforeBackward) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) { // the CPU: a tensor over Java memory
            float[] values = new float[36];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) Math.sin(i * 0.7) * 3;
            }
            NDArray logits = HostTransfers.float32(m, values, new Shape(6, 6));
            logits.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = DacLoss.clipLoss(logits, new long[] {0, 1, 2, 0, 1, 3});
                if (collectBeforeBackward) {
                    collectAndFreeDirectBuffers(m);
                }
                gc.backward(loss);
            }
            return logits.getGradient().toFloatArray();
        }
    }

    /**
     * Makes a scalar as DJL's {@code x.mul(2f)} makes it, then collects the heap until that scalar's direct buffer is
     * gone: its phantom reference enqueued (the buffer unreachable and collected) and the JVM's count of direct
     * buffers below what it was with the buffer (its memory released). Fails when 5 s of collections did not free it.
     */
    static void collectAndFreeDirectBuffers(NDManager manager) {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        ReferenceQueue<ByteBuffer> collected = new ReferenceQueue<>();
        PhantomReference<ByteBuffer> scalar = djlScalarBuffer(manager, collected);
        long withScalar = direct.getCount();
        boolean freed = false;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!(freed && direct.getCount() < withScalar) && System.nanoTime() < deadline) {
            System.gc();
            try {
                freed |= collected.remove(20) == scalar;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        assertTrue(freed, "the forced collection did not collect the scalar's direct buffer before the backward pass");
        assertTrue(direct.getCount() < withScalar, "the JVM did not release the collected direct buffer before the backward pass");
    }

    /**
     * A scalar as DJL's {@code x.mul(2f)} makes one: a 0-d tensor on a Java direct buffer of its own
     * ({@code torch.from_blob}), whose wrapper is closed right after use. Returns a phantom reference to that buffer.
     */
    private static PhantomReference<ByteBuffer> djlScalarBuffer(NDManager manager, ReferenceQueue<ByteBuffer> queue) {
        NDArray scalar = manager.create(2f);
        try {
            java.lang.reflect.Field data = scalar.getClass().getDeclaredField("dataRef"); // PtNDArray's buffer
            data.setAccessible(true);
            ByteBuffer buffer = (ByteBuffer) data.get(scalar);
            assertTrue(buffer != null && buffer.isDirect(), "DJL's scalar must live on a direct buffer for this check");
            return new PhantomReference<>(buffer, queue);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's NDArray has no buffer field 'dataRef' any more", e);
        } finally {
            scalar.close();
        }
    }
}
