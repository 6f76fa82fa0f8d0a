package dev.dacspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.Tensors;
import dev.dacspark.config.Section;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW as {@code torch.optim.AdamW} computes it, on NDArrays, with state that can be read and
 * restored (DJL's optimisers keep their moments private, and training resumes from checkpoints).
 *
 * <pre>
 *   p  = p * (1 - lr * wd)
 *   m  = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2
 *   p  = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * A parameter without a gradient is skipped (no decay, no step), as PyTorch skips parameters whose
 * {@code grad} is None: the DAC routers, which never receive one, stay at their initial values.
 *
 * <p>Updates are out of place: each step gives a parameter a fresh array, which also clears its
 * gradient for the next step (PyTorch's {@code zero_grad(set_to_none=True)}).
 *
 * <p>Nothing goes to or comes from the host: the betas, their complements and eps are {@link Tensors#constant
 * constants} of the device, and the values of the step (1 - lr wd, lr / (1 - b1^t), sqrt(1 - b2^t)) are fills
 * made once per step and step count t, shared by every parameter at that count.
 */
public final class AdamW {

    public record Settings(double beta1, double beta2, double eps, double weightDecay) implements java.io.Serializable {
        /** reference.conf's {@code dac.train} settings. */
        public static Settings defaults() {
            return read(dev.dacspark.config.Settings.defaults().section("dac.train"));
        }

        /** The keys beta1, beta2, eps and weight-decay of a training section ({@code dac.train}, {@code dac.pretrain.train}). */
        public static Settings read(Section t) {
            return new Settings(t.probability("beta1"), t.probability("beta2"), t.positive("eps"), t.nonNegative("weight-decay"));
        }
    }

    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();

    public AdamW(Settings settings, NDManager manager) {
        this.settings = settings;
        this.manager = manager;
    }

    /** The gradient autograd left on an array, or null when it never reached it. */
    public static NDArray gradientOf(NDArray array) {
        if (array instanceof PtNDArray pt) {
            return JniUtils.getGradient(pt);
        }
        return array.hasGradient() ? array.getGradient() : null;
    }

    /** The defined gradients of trainable parameters, by name. */
    public static Map<String, NDArray> gradients(Map<String, Param> params) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            if (p.trainable()) {
                NDArray g = gradientOf(p.array());
                if (g != null) {
                    out.put(name, g);
                }
            }
        });
        return out;
    }

    /** One step at learning rate lr for every parameter that has an entry in {@code gradients}. */
    public void step(Map<String, Param> params, Map<String, NDArray> gradients, double lr) {
        try (NDScope scope = new NDScope()) {
            Map<Long, StepValues> byCount = new HashMap<>();
            for (Map.Entry<String, NDArray> e : gradients.entrySet()) {
                Param p = params.get(e.getKey());
                if (p == null) {
                    throw new IllegalArgumentException("gradient for unknown parameter '" + e.getKey() + "'");
                }
                NDArray grad = e.getValue();
                long t = steps.merge(e.getKey(), 1L, Long::sum);
                update(e.getKey(), p, grad, byCount.computeIfAbsent(t, c -> stepValues(grad, lr, c)));
            }
        }
    }

    /** The step's values for a parameter at step count t: 0-dimensional fills on the gradient's device. */
    private record StepValues(NDArray decay, NDArray stepSize, NDArray bias2Sqrt) {}

    private StepValues stepValues(NDArray like, double lr, long t) {
        double bias1 = 1 - Math.pow(settings.beta1(), t);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(settings.beta2(), t));
        return new StepValues(fill(like, 1 - lr * settings.weightDecay()), fill(like, lr / bias1), fill(like, bias2Sqrt));
    }

    private static NDArray fill(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value).toDevice(like.getDevice(), false);
    }

    private void update(String name, Param p, NDArray grad, StepValues step) {
        NDArray m = expAvg.computeIfAbsent(name, k -> attached(manager.zeros(p.shape()).toDevice(grad.getDevice(), false)));
        NDArray v = expAvgSq.computeIfAbsent(name, k -> attached(manager.zeros(p.shape()).toDevice(grad.getDevice(), false)));
        float b1 = (float) settings.beta1();
        float b2 = (float) settings.beta2();
        try (NDScope scope = new NDScope()) {
            NDArray g = grad.stopGradient();
            NDArray decayed = p.array().stopGradient().mul(step.decay());
            NDArray m2 = Tensors.mul(m, b1).add(Tensors.mul(g, (float) (1 - settings.beta1())));
            NDArray v2 = Tensors.mul(v, b2).add(Tensors.mul(g.mul(g), (float) (1 - settings.beta2())));
            NDArray denom = v2.sqrt().div(step.bias2Sqrt()).add(Tensors.constant(v2.getDevice(), (float) settings.eps()));
            NDArray updated = decayed.sub(m2.div(denom).mul(step.stepSize()));
            replace(expAvg, name, m2);
            replace(expAvgSq, name, v2);
            p.set(updated); // leaves the scope with the parameter
        }
    }

    /** Moves optimiser state to this optimiser's manager and out of any open NDScope. */
    private NDArray attached(NDArray a) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    private void replace(Map<String, NDArray> map, String name, NDArray value) {
        attached(value);
        NDArray old = map.put(name, value);
        if (old != null) {
            old.close();
        }
    }

    /** The state as tensors: {@code <name>.exp_avg}, {@code <name>.exp_avg_sq}, {@code <name>.step}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : steps.keySet()) {
            out.put(name + ".exp_avg", TensorArrays.fromNDArray(expAvg.get(name)));
            out.put(name + ".exp_avg_sq", TensorArrays.fromNDArray(expAvgSq.get(name)));
            out.put(name + ".step", Tensor.ofLongs(new long[] {}, new long[] {steps.get(name)}));
        }
        return out;
    }

    /** Restores a state written by {@link #state()}. */
    public void load(Map<String, Tensor> state) {
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            if (key.endsWith(".step")) {
                String name = key.substring(0, key.length() - ".step".length());
                Tensor m = state.get(name + ".exp_avg");
                Tensor v = state.get(name + ".exp_avg_sq");
                if (m == null || v == null) {
                    throw new IllegalArgumentException("optimizer state for '" + name + "' lacks exp_avg or exp_avg_sq");
                }
                steps.put(name, e.getValue().toLongs()[0]);
                replace(expAvg, name, TensorArrays.toNDArray(m, manager));
                replace(expAvgSq, name, TensorArrays.toNDArray(v, manager));
            }
        }
    }

    /** Steps taken for a parameter (0 if none). */
    public long steps(String name) {
        return steps.getOrDefault(name, 0L);
    }
}
