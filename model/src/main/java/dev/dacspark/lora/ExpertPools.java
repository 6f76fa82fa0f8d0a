package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The expert pools of one task, attached to a CLIP's target layers by module name, and the
 * after-task merge. The backbone is frozen; each pool's A, B and router are the task's trainable
 * parameters (the router receives no gradient in routed mode, as in the release). A data-parallel
 * step sets the pools' {@link VoteExchange} for its forward pass.
 */
public final class ExpertPools {
    private final ClipModel model;
    private final DacConfig config;
    private final Map<String, ExpertPool> pools = new LinkedHashMap<>();

    private ExpertPools(ClipModel model, DacConfig config) {
        this.model = model;
        this.config = config;
    }

    /** Module names of the target layers, in model order (vision tower first). */
    public static List<String> targetModules(ClipConfig clip, DacConfig config) {
        List<String> out = new ArrayList<>();
        for (DacConfig.Encoder enc : DacConfig.Encoder.values()) {
            if (!config.encoders().contains(enc)) {
                continue;
            }
            int layers = enc == DacConfig.Encoder.VISION ? clip.visionLayers() : clip.transformerLayers();
            for (int layer : config.layers()) {
                if (layer < 0 || layer >= layers) {
                    throw new IllegalArgumentException("dac.method.layers: block " + layer + " does not exist in the "
                            + enc.name().toLowerCase(java.util.Locale.ROOT) + " tower (" + layers + " blocks)");
                }
            }
            for (int layer = 0; layer < layers; layer++) {
                if (!config.layers().isEmpty() && !config.layers().contains(layer)) {
                    continue;
                }
                for (DacConfig.Target t : DacConfig.Target.values()) {
                    if (config.targets().contains(t)) {
                        out.add(enc.blockPrefix + layer + "." + t.moduleSuffix);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Freezes the model and attaches fresh pools (declared, not initialised) to every target
     * layer. Call {@link #initialize} or load a state before training.
     */
    public static ExpertPools attach(ClipModel model, DacConfig config) {
        ExpertPools p = new ExpertPools(model, config);
        model.setTrainable(false);
        Map<String, Module> modules = model.namedModules();
        for (String name : targetModules(model.config(), config)) {
            if (!(modules.get(name) instanceof Linear linear)) {
                throw new IllegalStateException("no linear layer named '" + name + "' in the model");
            }
            ExpertPool pool = new ExpertPool(name, linear.inFeatures(), linear.outFeatures(), config);
            linear.attach(pool);
            pool.setTrainable(true);
            p.pools.put(name, pool);
        }
        return p;
    }

    /** Fresh values for every pool (a new task), from one seeded generator in module order. */
    public void initialize(NDManager manager, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        pools.values().forEach(pool -> pool.initialize(manager, rng));
    }

    /**
     * Seeds the pools' LoRA dropout for a step, one generator per pool from one seeded generator in module order (the
     * CPU's masks; on other devices the engine's generator draws them, seeded by {@code Engine.setRandomSeed}).
     */
    public void seedDropout(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        pools.values().forEach(pool -> pool.seedDropout(rng.nextLong()));
    }

    public Map<String, ExpertPool> pools() {
        return Collections.unmodifiableMap(pools);
    }

    public DacConfig config() {
        return config;
    }

    public void setTraining(boolean training) {
        pools.values().forEach(pool -> pool.setTraining(training));
    }

    /** Installs the training step's vote exchange on every pool ({@link VoteExchange#NONE}: one process). */
    public void setVoteExchange(VoteExchange exchange) {
        pools.values().forEach(pool -> pool.setVoteExchange(exchange));
    }

    /**
     * Local vote scope: adds every routed pool's votes of this step, summed over the ranks in ONE exchange of
     * modules x r numbers, to its running counts. Call after the step's forward passes, before anything reads the
     * counts (the AGO term). The global scope counts the votes as it exchanges them: nothing to do.
     */
    public void countLocalVotes(VoteExchange exchange) {
        if (config.voteScope() != VoteScope.LOCAL || config.routing() != DacConfig.Routing.ROUTED || pools.isEmpty()) {
            return;
        }
        NDList votes = new NDList();
        pools.values().forEach(pool -> votes.add(pool.router.takeUncounted()));
        NDArray summed = exchange.sumOverRanks(NDArrays.concat(votes)); // (modules * r)
        int r = config.rank();
        int i = 0;
        for (ExpertPool pool : pools.values()) {
            pool.router.count(summed.get(i * r + ":" + (i + 1) * r));
            i++;
        }
    }

    /**
     * Every parameter and running vote count of the pools as one flat float32 array (in parameter-name order,
     * then the routers' counts in module order): one read gives a rank's whole training state, e.g. for a checksum.
     */
    public NDArray flatState() {
        NDList parts = new NDList();
        parameters().values().forEach(p -> parts.add(p.array().stopGradient().reshape(-1)));
        pools.values().stream().filter(pool -> pool.router != null).forEach(pool -> parts.add(pool.router.countArray()));
        return NDArrays.concat(parts);
    }

    /** Trainable parameters by full name ({@code <module>.lora_A}, {@code <module>.router.weight}, ...). */
    public Map<String, Param> parameters() {
        Map<String, Param> out = new LinkedHashMap<>();
        pools.forEach((name, pool) -> pool.namedParameters().forEach((k, v) -> out.put(name + "." + k, v)));
        return out;
    }

    public long trainableParameterCount() {
        return parameters().values().stream().mapToLong(Param::numel).sum();
    }

    /** Values kept per task after merging: the merged experts' rank-1 factors of every pool. */
    public long keptParameterCountPerTask() {
        long n = 0;
        for (ExpertPool pool : pools.values()) {
            int k = config.routing() == DacConfig.Routing.DENSE ? config.rank() : config.mergeTopK();
            n += k * (pool.loraA.shape().get(1) + pool.loraB.shape().get(0));
        }
        return n;
    }

    /**
     * Ends the task: for every pool, folds W0 += s * B[:, S] A[S, :] with S its top mergeTopK
     * experts by count, keeps its B columns in {@code memory} (per the AGO policy; skipped when
     * memory is null), and detaches it. Nothing is read to the host.
     *
     * <p>The merge is float32 and needs the float32 base weights: an fp16 backbone (11 significant bits) would round
     * away much of an update that is ~1e-3 of its weight, so merging into one is refused. Runs merge into a model
     * loaded in float32 from the checkpoint (the driver's; training ranks load their own, fp16 or not).
     */
    public void mergeAndDetach(TaskMemory memory) {
        if (model.precision() != Precision.FP32) {
            throw new IllegalStateException("merging into a " + Section.id(model.precision()) + " backbone would round the update away: "
                    + "merge into the model loaded in fp32 from its checkpoint (dac.model.precision applies to training)");
        }
        Map<String, Module> modules = model.namedModules();
        for (ExpertPool pool : pools.values()) {
            Linear linear = (Linear) modules.get(pool.name());
            try (NDScope scope = new NDScope()) {
                NDArray experts = pool.topExperts();
                linear.weight.set(linear.weight.array().add(pool.mergedUpdate(experts))); // W0 + s B_S A_S
                if (memory != null) {
                    NDArray kept = config.agoMemory() == DacConfig.AgoMemory.ALL ? TopK.arange(experts, config.rank()) : experts;
                    memory.append(pool.name(), pool.columnsOfB(kept));
                }
            }
            linear.detach();
        }
    }

    /** Detaches every pool without merging (a benchmark's pools; the model is as before they were attached). */
    public void detach() {
        Map<String, Module> modules = model.namedModules();
        pools.keySet().forEach(name -> ((Linear) modules.get(name)).detach());
    }
}
