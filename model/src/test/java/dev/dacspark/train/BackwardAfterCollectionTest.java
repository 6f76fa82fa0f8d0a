package dev.dacspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Tensors;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The backward pass reads only memory that libtorch owns. DJL's scalar arithmetic ({@code x.mul(2f)}) wraps the number
 * in a Java direct buffer that it frees right after the call, while autograd keeps that scalar for the gradient of
 * mul and div: when the garbage collector freed the buffer before the backward pass, the gradient read freed memory
 * (NaN losses now and then, runs that were not bit-for-bit reproducible). Here a collection is forced between forward
 * and backward, and the gradients must be exactly those of an undisturbed step.
 */
class BackwardAfterCollectionTest {

    @Test
    void encoderGradientsAreTheSameWhenTheHeapIsCollectedBeforeBackward() {
        Map<String, float[]> undisturbed = poolGradients(Collective.SINGLE);
        Map<String, float[]> collected = poolGradients(new Collective.Single() {
            /** Called once per tower after its forward pass, before the loss and the backward pass. */
            @Override
            public NDArray gatherRows(NDArray local) {
                collectAndFreeDirectBuffers();
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
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
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
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = new float[36];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) Math.sin(i * 0.7) * 3;
            }
            NDArray logits = Tensors.float32(m, values, new Shape(6, 6));
            logits.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = DacLoss.clipLoss(logits, new long[] {0, 1, 2, 0, 1, 3});
                if (collectBeforeBackward) {
                    collectAndFreeDirectBuffers();
                }
                gc.backward(loss);
            }
            return logits.getGradient().toFloatArray();
        }
    }

    /** Collects the heap until the JVM has freed unreachable direct buffers (their count drops), or 2 s passed. */
    static void collectAndFreeDirectBuffers() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        long before = direct.getCount();
        long deadline = System.nanoTime() + 2_000_000_000L;
        do {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        } while (direct.getCount() >= before && System.nanoTime() < deadline);
    }
}
