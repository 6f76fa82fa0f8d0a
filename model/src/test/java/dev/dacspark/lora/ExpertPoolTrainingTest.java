package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.GoldenDac;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.DacStep;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What one optimiser step does to the pools, and the merge's exactness. */
class ExpertPoolTrainingTest {

    static final double LR = 2e-3;

    private static DacConfig noDropout() {
        return DacConfig.defaults().withDropout(0);
    }

    private static NDArray images(Map<String, SafeTensors.Tensor> io, NDManager m) {
        return Golden.array(io, "image", m);
    }

    private static NDArray classText(Map<String, SafeTensors.Tensor> io, NDManager m) {
        return m.create(io.get("class_text").toLongs(), new Shape(io.get("class_text").shape()));
    }

    @Test
    void firstStepFromAFreshStateTouchesOnlyTheSelectedExperts() {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("dac"));
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools pools = ExpertPools.attach(model, noDropout());
            pools.initialize(m, 7);
            pools.setTraining(true);
            Map<String, float[]> before = new java.util.HashMap<>();
            pools.parameters().forEach((k, p) -> before.put(k, p.array().toFloatArray()));

            DacStep.forwardBackward(model, pools, memory, images(io, m), classText(io, m), io.get("labels").toLongs());
            for (ExpertPool pool : pools.pools().values()) {
                assertNull(AdamW.gradientOf(pool.router.weight.array()), pool.name() + ": the router must get no gradient");
                assertNull(AdamW.gradientOf(pool.router.bias.array()), pool.name() + ": the router bias must get no gradient");
                assertNotNull(AdamW.gradientOf(pool.loraA.array()));
            }
            AdamW opt = new AdamW(AdamW.Settings.defaults(), m);
            opt.step(pools.parameters(), AdamW.gradients(pools.parameters()), LR);

            float decay = (float) (1 - LR * AdamW.Settings.defaults().weightDecay());
            int changedExperts = 0;
            for (ExpertPool pool : pools.pools().values()) {
                String n = pool.name();
                assertArrayEquals(before.get(n + ".router.weight"), pool.router.weight.array().toFloatArray(), n + " router");
                assertArrayEquals(before.get(n + ".router.bias"), pool.router.bias.array().toFloatArray(), n + " router bias");
                long[] mask = HostTransfers.longs(pool.router.topExpertsByCount(pool.config().routeTopK())); // one batch from zero counts: its mask
                assertEquals(pool.config().routeTopK(), mask.length);
                boolean[] selected = new boolean[pool.config().rank()];
                for (long e : mask) {
                    selected[(int) e] = true;
                }
                long dIn = pool.loraA.shape().get(1);
                long dOut = pool.loraB.shape().get(0);
                int r = pool.config().rank();
                float[] a0 = before.get(n + ".lora_A");
                float[] a1 = pool.loraA.array().toFloatArray();
                float[] b0 = before.get(n + ".lora_B");
                float[] b1 = pool.loraB.array().toFloatArray();
                for (int e = 0; e < r; e++) {
                    boolean rowChangedBeyondDecay = false;
                    for (int c = 0; c < dIn; c++) {
                        float decayed = a0[(int) (e * dIn + c)] * decay;
                        if (!selected[e]) {
                            assertEquals(decayed, a1[(int) (e * dIn + c)], 0f, n + " A row " + e + " (unselected) changes by decay alone");
                        } else if (decayed != a1[(int) (e * dIn + c)]) {
                            rowChangedBeyondDecay = true;
                        }
                    }
                    for (int row = 0; row < dOut; row++) {
                        if (!selected[e]) {
                            assertEquals(b0[(int) (row * r + e)], b1[(int) (row * r + e)], 0f, n + " B column " + e + " (unselected) is unchanged");
                        }
                    }
                    changedExperts += selected[e] && rowChangedBeyondDecay ? 1 : 0;
                }
            }
            // B starts at zero, so A's first gradient is zero too; B's selected columns move:
            assertEquals(0, changedExperts, "with B = 0 the first step gives A no gradient");
            long movedColumns = pools.pools().values().stream().mapToLong(p -> {
                float[] b = p.loraB.array().toFloatArray();
                long nz = 0;
                for (float v : b) {
                    nz += v != 0 ? 1 : 0;
                }
                return nz;
            }).sum();
            assertTrue(movedColumns > 0, "selected B columns must move");
        }
    }

    @Test
    void mergedModelEqualsUnmergedModelOnTheMergedExperts() {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("dac"));
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools pools = GoldenDac.pools(model, memory, m); // B non-zero: the merge matters
            // route once to get counts, then put every layer's update on the experts a merge would take
            model.encodeText(classText(io, m));
            model.encodeImage(images(io, m));
            pools.setTraining(false);
            Map<String, Module> modules = model.namedModules();
            for (ExpertPool p : pools.pools().values()) {
                float[] merged = new float[p.config().rank()];
                for (int e : p.topExpertsByCount()) {
                    merged[e] = 1;
                }
                NDArray mask = HostTransfers.float32(m, merged, new Shape(merged.length));
                Linear linear = (Linear) modules.get(p.name());
                linear.detach();
                linear.attach(x -> p.maskedUpdate(x, mask));
            }
            NDArray text = model.encodeText(classText(io, m));
            NDArray image = model.encodeImage(images(io, m));
            float[] unmergedText = text.toFloatArray();
            float[] unmergedImage = image.toFloatArray();

            ClipModel base = ClipCheckpoint.load(Golden.file("openai"), m);
            float[] baseImage = base.encodeImage(images(io, m)).toFloatArray();

            pools.mergeAndDetach(null);
            Golden.assertClose(m.create(unmergedText), model.encodeText(classText(io, m)).reshape(-1), 1e-5, 1e-5, "text");
            Golden.assertClose(m.create(unmergedImage), model.encodeImage(images(io, m)).reshape(-1), 1e-5, 1e-5, "image");
            double diff = 0;
            for (int i = 0; i < baseImage.length; i++) {
                diff = Math.max(diff, Math.abs(baseImage[i] - unmergedImage[i]));
            }
            assertTrue(diff > 1e-3, "the adapters must change the outputs for this check to mean anything (max diff " + diff + ")");
        }
    }

    @Test
    void ties() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray votes = HostTransfers.float32(m, new float[] {4, 5, 2, 5, 4}, new Shape(5));
            assertArrayEquals(new long[] {1, 3, 0}, HostTransfers.longs(TopK.indices(votes, 3)));
            assertArrayEquals(new float[] {1, 1, 0, 1, 0}, HostTransfers.floats(TopK.mask(votes, 3)));
            assertArrayEquals(new long[] {2, 0, 4, 1, 3}, HostTransfers.longs(TopK.ranks(votes)));
            NDArray equal = HostTransfers.float32(m, new float[] {1, 1, 1, 1, 1, 1}, new Shape(6));
            assertArrayEquals(new long[] {0, 1, 2, 3}, HostTransfers.longs(TopK.indices(equal, 4)));
            NDArray rows = HostTransfers.float32(m, new float[] {0.1f, 0.3f, 0.3f, 0.2f, 0.5f, 0.5f, 0.5f, 0.1f}, new Shape(2, 4));
            assertArrayEquals(new float[] {0, 1, 1, 0, 1, 1, 0, 0}, HostTransfers.floats(TopK.mask(rows, 2)), "per row");
        }
    }

    @Test
    void optimizerStateRoundTripResumesExactly() {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("dac"));
        long[] labels = io.get("labels").toLongs();
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            // run A: three steps straight
            ClipModel modelA = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools poolsA = ExpertPools.attach(modelA, noDropout());
            poolsA.initialize(m, 3);
            poolsA.setTraining(true);
            AdamW optA = new AdamW(AdamW.Settings.defaults(), m);
            for (int i = 0; i < 3; i++) {
                DacStep.forwardBackward(modelA, poolsA, memory, images(io, m), classText(io, m), labels);
                optA.step(poolsA.parameters(), AdamW.gradients(poolsA.parameters()), LR);
            }
            // run B: one step, then a new optimiser and pools restored from the saved state, two more
            ClipModel modelB = ClipCheckpoint.load(Golden.file("openai"), m);
            ExpertPools poolsB = ExpertPools.attach(modelB, noDropout());
            poolsB.initialize(m, 3);
            poolsB.setTraining(true);
            AdamW optB = new AdamW(AdamW.Settings.defaults(), m);
            DacStep.forwardBackward(modelB, poolsB, memory, images(io, m), classText(io, m), labels);
            optB.step(poolsB.parameters(), AdamW.gradients(poolsB.parameters()), LR);
            Map<String, SafeTensors.Tensor> saved = optB.state();
            AdamW resumed = new AdamW(AdamW.Settings.defaults(), m);
            resumed.load(saved);
            for (int i = 0; i < 2; i++) {
                DacStep.forwardBackward(modelB, poolsB, memory, images(io, m), classText(io, m), labels);
                resumed.step(poolsB.parameters(), AdamW.gradients(poolsB.parameters()), LR);
            }
            poolsA.parameters().forEach((k, p) -> assertArrayEquals(p.array().toFloatArray(),
                    poolsB.parameters().get(k).array().toFloatArray(), k));
            assertEquals(3, resumed.steps(poolsB.pools().keySet().iterator().next() + ".lora_B"));
        }
    }

    @Test
    void agoMemoryKeepsEveryColumnOrTheMergedOnes() {
        Map<String, SafeTensors.Tensor> io = SafeTensors.readAll(Golden.file("dac"));
        for (DacConfig.AgoMemory policy : DacConfig.AgoMemory.values()) {
            try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
                ClipModel model = ClipCheckpoint.load(Golden.file("openai"), m);
                ExpertPools pools = ExpertPools.attach(model, noDropout().withAgoMemory(policy));
                pools.initialize(m, 11);
                for (ExpertPool p : pools.pools().values()) {
                    p.loraB.set(Golden.array(io, p.name() + ".lora_B", m)); // non-zero columns to keep
                }
                pools.setTraining(true);
                model.encodeText(classText(io, m));
                model.encodeImage(images(io, m));
                Map<String, float[]> bs = new java.util.HashMap<>();
                Map<String, int[]> merged = new java.util.HashMap<>();
                for (ExpertPool p : pools.pools().values()) {
                    bs.put(p.name(), p.loraB.array().toFloatArray());
                    merged.put(p.name(), p.topExpertsByCount());
                }
                pools.mergeAndDetach(memory);
                for (String name : bs.keySet()) {
                    int r = noDropout().rank();
                    int[] kept = policy == DacConfig.AgoMemory.ALL ? java.util.stream.IntStream.range(0, r).toArray() : merged.get(name);
                    ai.djl.ndarray.NDArray p = memory.get(name);
                    long rows = p.getShape().get(0);
                    assertEquals(new Shape(rows, kept.length), p.getShape(), policy + " " + name);
                    float[] got = p.toFloatArray();
                    for (int row = 0; row < rows; row++) {
                        for (int j = 0; j < kept.length; j++) {
                            assertEquals(bs.get(name)[(int) (row * r + kept[j])], got[(int) (row * kept.length + j)], 0f, policy + " " + name);
                        }
                    }
                }
            }
        }
    }
}
