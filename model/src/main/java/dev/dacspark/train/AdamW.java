package dev.dacspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * made once per step and step count t. The parameters at one step count are updated as one flat array, their
 * moments kept flat between steps; each parameter's new array is a view of the step's flat result.
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
    private final Map<String, Long> steps = new LinkedHashMap<>();
    private final List<Flat> flats = new ArrayList<>();                 // the moments of the parameters stepped together
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();   // ... and of those not in a Flat (loaded, regrouped)
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();

    /** The moments of parameters stepped together: each flattened, concatenated in the order of names (P). */
    private static final class Flat {
        final List<String> names;
        final List<Shape> shapes;
        NDArray m;
        NDArray v;

        Flat(List<String> names, List<Shape> shapes) {
            this.names = names;
            this.shapes = shapes;
        }
    }

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

    /**
     * One step at learning rate lr for every parameter that has an entry in {@code gradients}. The parameters at the same
     * step count are updated together, as one flat array: a few dozen device ops per step however many parameters
     * there are (ViT-B/16's 288 pool parameters one by one took about 4,000 ops: 45 ms of a step on an H200).
     */
    public void step(Map<String, Param> params, Map<String, NDArray> gradients, double lr) {
        Map<Long, List<String>> byCount = new LinkedHashMap<>();
        for (String name : gradients.keySet()) {
            if (!params.containsKey(name)) {
                throw new IllegalArgumentException("gradient for unknown parameter '" + name + "'");
            }
            byCount.computeIfAbsent(steps.merge(name, 1L, Long::sum), t -> new ArrayList<>()).add(name);
        }
        byCount.forEach((t, names) -> update(names, params, gradients, lr, t));
    }

    /** AdamW on the parameters {@code names}, all at step count t, as one flat array (P). */
    private void update(List<String> names, Map<String, Param> params, Map<String, NDArray> gradients, double lr, long t) {
        Flat f = flat(names, params);
        try (NDScope scope = new NDScope()) {
            NDArray g = concat(names, n -> gradients.get(n));
            NDArray p = concat(names, n -> params.get(n).array().stopGradient());
            float b1 = (float) settings.beta1();
            float b2 = (float) settings.beta2();
            double bias1 = 1 - Math.pow(settings.beta1(), t);
            double bias2Sqrt = Math.sqrt(1 - Math.pow(settings.beta2(), t));
            NDArray decayed = p.mul(fill(p, 1 - lr * settings.weightDecay()));
            NDArray m2 = Tensors.mul(f.m, b1).add(Tensors.mul(g, (float) (1 - settings.beta1())));
            NDArray v2 = Tensors.mul(f.v, b2).add(Tensors.mul(g.mul(g), (float) (1 - settings.beta2())));
            NDArray denom = v2.sqrt().div(fill(p, bias2Sqrt)).add(Tensors.constant(v2.getDevice(), (float) settings.eps()));
            NDArray updated = decayed.sub(m2.div(denom).mul(fill(p, lr / bias1)));
            f.m.close();
            f.v.close();
            f.m = attached(m2);
            f.v = attached(v2);
            NDList parts = updated.split(offsets(f.shapes));
            for (int i = 0; i < names.size(); i++) {
                params.get(names.get(i)).set(parts.get(i).reshape(f.shapes.get(i))); // leaves the scope with the parameter
            }
        }
    }

    /** Arrays outside autograd, each flattened, concatenated (P). */
    private static NDArray concat(List<String> names, java.util.function.Function<String, NDArray> array) {
        NDList flat = new NDList(names.size());
        names.forEach(n -> flat.add(array.apply(n).reshape(-1)));
        return NDArrays.concat(flat);
    }

    /** The split points of arrays of these shapes, flattened and concatenated. */
    private static long[] offsets(List<Shape> shapes) {
        long[] at = new long[shapes.size() - 1];
        long offset = 0;
        for (int i = 0; i < at.length; i++) {
            offset += shapes.get(i).size();
            at[i] = offset;
        }
        return at;
    }

    /** A 0-dimensional fill on the device of {@code like}: a value of this step. */
    private static NDArray fill(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value).toDevice(like.getDevice(), false);
    }

    /**
     * The Flat of exactly these parameters: the last step's when it held the same ones (every step after the first), else
     * a new one from their moments so far (zeros for a first step), after the Flats that held any of them are taken apart.
     */
    private Flat flat(List<String> names, Map<String, Param> params) {
        for (Flat f : flats) {
            if (f.names.equals(names)) {
                return f;
            }
        }
        for (Flat f : new ArrayList<>(flats)) {
            if (!java.util.Collections.disjoint(f.names, names)) {
                spill(f);
            }
        }
        Flat f = new Flat(List.copyOf(names), names.stream().map(n -> params.get(n).shape()).toList());
        Device device = params.get(names.get(0)).array().getDevice();
        try (NDScope scope = new NDScope()) {
            NDList m = new NDList(names.size());
            NDList v = new NDList(names.size());
            for (int i = 0; i < names.size(); i++) {
                Shape shape = f.shapes.get(i);
                m.add(moment(expAvg.remove(names.get(i)), shape, device));
                v.add(moment(expAvgSq.remove(names.get(i)), shape, device));
            }
            f.m = attached(NDArrays.concat(m));
            f.v = attached(NDArrays.concat(v));
        }
        flats.add(f);
        return f;
    }

    /** A parameter's moment flattened on the device (closing the given one), or zeros for none. */
    private NDArray moment(NDArray given, Shape shape, Device device) {
        if (given == null) {
            return manager.zeros(new Shape(shape.size())).toDevice(device, false);
        }
        NDArray flat = given.toDevice(device, true).reshape(-1);
        given.close();
        return flat;
    }

    /** Takes every Flat apart (a checkpoint's state and load work on the parameters' own moments; the next step regroups them). */
    private void spillAll() {
        new ArrayList<>(flats).forEach(this::spill);
    }

    /** Takes a Flat apart into the parameters' own moments. */
    private void spill(Flat f) {
        flats.remove(f);
        try (NDScope scope = new NDScope()) {
            NDList m = f.m.split(offsets(f.shapes));
            NDList v = f.v.split(offsets(f.shapes));
            for (int i = 0; i < f.names.size(); i++) {
                replace(expAvg, f.names.get(i), m.get(i).reshape(f.shapes.get(i)));
                replace(expAvgSq, f.names.get(i), v.get(i).reshape(f.shapes.get(i)));
            }
        }
        f.m.close();
        f.v.close();
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
        spillAll();
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
        spillAll();
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
