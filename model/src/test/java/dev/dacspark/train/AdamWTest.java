package dev.dacspark.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Param;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The flat AdamW against the update computed element by element in float32 (the same operations in the same order;
 * the moments exactly), through what changes its grouping: parameters at different step counts in one step, a checkpoint's state and load.
 */
class AdamWTest {

    private static final double LR = 1e-2;
    private static final AdamW.Settings SETTINGS = new AdamW.Settings(0.9, 0.999, 1e-8, 0.01);

    /** One parameter's AdamW in float32, as torch.optim.AdamW computes it with these operations. */
    private static final class Reference {
        final float[] p;
        final float[] m;
        final float[] v;
        long t;

        Reference(float[] p) {
            this.p = p.clone();
            this.m = new float[p.length];
            this.v = new float[p.length];
        }

        void step(float[] g) {
            t++;
            float decay = (float) (1 - LR * SETTINGS.weightDecay());
            float b1 = (float) SETTINGS.beta1();
            float b2 = (float) SETTINGS.beta2();
            float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(SETTINGS.beta2(), t));
            float stepSize = (float) (LR / (1 - Math.pow(SETTINGS.beta1(), t)));
            for (int i = 0; i < p.length; i++) {
                float decayed = p[i] * decay;
                m[i] = m[i] * b1 + g[i] * (float) (1 - SETTINGS.beta1());
                v[i] = v[i] * b2 + (g[i] * g[i]) * (float) (1 - SETTINGS.beta2());
                float denom = (float) Math.sqrt(v[i]) / bias2Sqrt + (float) SETTINGS.eps();
                p[i] = decayed - (m[i] / denom) * stepSize;
            }
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return x;
    }

    @Test
    void flatUpdatesEqualTheElementwiseUpdateThroughRegroupingAndACheckpoint() {
        SplittableRandom rng = new SplittableRandom(3);
        try (NDManager m = NDManager.newBaseManager()) {
            Linear layer = new Linear(5, 3, true);
            Map<String, Param> params = new LinkedHashMap<>();
            params.put("weight", layer.weight);
            params.put("bias", layer.bias);
            Map<String, Reference> reference = new LinkedHashMap<>();
            for (Map.Entry<String, Param> e : params.entrySet()) {
                float[] init = random(rng, Math.toIntExact(e.getValue().numel()));
                e.getValue().set(HostTransfers.float32(m, init, e.getValue().shape()));
                reference.put(e.getKey(), new Reference(init));
            }
            AdamW opt = new AdamW(SETTINGS, m);
            // both at t = 1; weight alone (t = 2); both, at two step counts (3 and 2); again after a checkpoint's round trip
            List<List<String>> schedule = List.of(List.of("weight", "bias"), List.of("weight"), List.of("weight", "bias"),
                    List.of("bias", "weight"));
            for (int s = 0; s < schedule.size(); s++) {
                if (s == 3) {
                    AdamW restored = new AdamW(SETTINGS, m);
                    restored.load(opt.state());
                    opt = restored;
                }
                Map<String, ai.djl.ndarray.NDArray> gradients = new LinkedHashMap<>();
                for (String name : schedule.get(s)) {
                    float[] g = random(rng, Math.toIntExact(params.get(name).numel()));
                    gradients.put(name, HostTransfers.float32(m, g, params.get(name).shape()));
                    reference.get(name).step(g);
                }
                opt.step(params, gradients, LR);
                for (String name : params.keySet()) {
                    // within a few ulps (libtorch may divide by a 0-dimensional tensor as a multiply by its reciprocal, and
                    // the differences carry over steps); a wrong step count or moment is off by 1e-4 or more
                    assertArrayEquals(reference.get(name).p, params.get(name).array().toFloatArray(), 1e-6f, "step " + (s + 1) + ", " + name);
                    assertEquals(params.get(name).shape(), params.get(name).array().getShape());
                }
            }
            assertEquals(4, opt.steps("weight"));
            assertEquals(3, opt.steps("bias"));
            float[] expAvg = opt.state().get("weight.exp_avg").toFloats();
            assertArrayEquals(reference.get("weight").m, expAvg);
            assertEquals(new Shape(3, 5), new Shape(opt.state().get("weight.exp_avg").shape()));
        }
    }
}
