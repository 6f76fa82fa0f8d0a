package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.Tensors;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The rank-1 expert pool of one linear layer: a LoRA with A (r x d_in) and B (d_out x r), where row
 * i of A with column i of B is expert i (the rank-1 update b_i a_i^T), and a router d_in -> r.
 *
 * <p>Forward, for the layer's input x (N, L, d_in), training:
 * <ol>
 *   <li>cls = x[:, 0]: each sample's first token as it enters this layer (the [CLS] token in the
 *       vision tower, the start-of-text state in the text tower);</li>
 *   <li>each sample picks its top routeTopK experts of softmax(router(cls));</li>
 *   <li>the routeTopK most-voted experts over the batch form ONE mask M for the whole batch; the
 *       votes are added to the task's running counts;</li>
 *   <li>the update is s * ((x A^T) * M) B^T, with s = alpha / r: the dense d_out x d_in matrix is
 *       never formed, and experts outside M get no gradient.</li>
 * </ol>
 * Router probabilities do not scale the experts, so the router gets no gradient (as in the
 * authors' release). In {@link DacConfig.Routing#DENSE} mode there is no router and every expert
 * is always on: a plain LoRA, the {@code seq-lora} baseline.
 *
 * <p>Dropout (on the LoRA input, which the router also sees) applies in training only.
 */
public final class ExpertPool extends Module implements Linear.Adapter {
    public final Param loraA;   // (r, d_in)
    public final Param loraB;   // (d_out, r)
    public final Linear router; // d_in -> r, null in dense mode
    private final DacConfig config;
    private final String name;
    private final float[] counts;
    private boolean training;
    private int[] forcedMask;
    private int[] lastMask;
    private VoteExchange exchange;
    private VoteScope scope = VoteScope.GLOBAL;
    private int maskGroups = 1;

    public ExpertPool(String name, long inFeatures, long outFeatures, DacConfig config) {
        this.name = name;
        this.config = config;
        this.loraA = param("lora_A", config.rank(), inFeatures);
        this.loraB = param("lora_B", outFeatures, config.rank());
        this.router = config.routing() == DacConfig.Routing.ROUTED
                ? child("router", new Linear(inFeatures, config.rank(), true)) : null;
        this.counts = new float[config.rank()];
    }

    /** The module name of the layer this pool adapts, e.g. {@code visual.transformer.resblocks.0.attn.q_proj}. */
    public String name() {
        return name;
    }

    public DacConfig config() {
        return config;
    }

    /**
     * A fresh pool: A kaiming-uniform (a = sqrt 5, i.e. U(+-1/sqrt(d_in))), B zeros, the router
     * as {@code torch.nn.Linear} initialises itself; counts zero. Values come from the seeded Java
     * generator, so they are the same on every machine.
     */
    public void initialize(NDManager manager, SplittableRandom rng) {
        long dIn = loraA.shape().get(1);
        loraA.set(Tensors.float32(manager, uniform(rng, loraA.shape(), 1 / Math.sqrt(dIn)), loraA.shape()));
        loraB.set(manager.zeros(loraB.shape()));
        if (router != null) {
            router.weight.set(Tensors.float32(manager, uniform(rng, router.weight.shape(), 1 / Math.sqrt(dIn)), router.weight.shape()));
            router.bias.set(Tensors.float32(manager, uniform(rng, router.bias.shape(), 1 / Math.sqrt(dIn)), router.bias.shape()));
        }
        Arrays.fill(counts, 0f);
        lastMask = null;
    }

    private static float[] uniform(SplittableRandom rng, Shape shape, double bound) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /** Training mode: dropout on, votes counted. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /**
     * Forces the expert mask (null to route again). With a forced mask no votes are counted; used
     * to check that the merged model equals the unmerged model on the merged experts.
     */
    public void forceMask(int[] experts) {
        this.forcedMask = experts == null ? null : experts.clone();
    }

    /** The running vote counts of the current task (a copy). */
    public float[] counts() {
        return counts.clone();
    }

    /** Replaces the running counts (restoring a checkpoint). */
    public void setCounts(float[] values) {
        if (values.length != counts.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " counts for rank " + counts.length);
        }
        System.arraycopy(values, 0, counts, 0, counts.length);
    }

    /** The mask of the last forward pass (expert indices), or null before any. */
    public int[] lastMask() {
        return lastMask == null ? null : lastMask.clone();
    }

    /** x: (N, L, d_in) -> update (N, L, d_out). */
    @Override
    public NDArray delta(NDArray x) {
        NDArray in = training && config.dropout() > 0 ? Dropout.dropout(x, (float) config.dropout()).singletonOrThrow() : x;
        int n = Math.toIntExact(in.getShape().get(0));
        int r = config.rank();
        boolean routed = router != null && forcedMask == null;
        int groups = routed ? maskGroups : 1;
        if (n % groups != 0) {
            throw new IllegalArgumentException(name + ": a batch of " + n + " does not split into " + groups + " mask groups");
        }
        float[] probs = routed ? router.forward(in.get(":, 0, :").stopGradient()).softmax(-1).toFloatArray() : null; // (N, r)
        float[] scale = new float[n * r]; // per sample: s on its mask's experts, 0 elsewhere
        int size = n / groups;
        for (int g = 0; g < groups; g++) {
            int[] mask = routed ? selectExperts(probs, g * size, size) : forcedMask != null ? forcedMask : allExperts();
            lastMask = mask;
            for (int b = g * size; b < (g + 1) * size; b++) {
                for (int e : mask) {
                    scale[b * r + e] = (float) config.scaling();
                }
            }
        }
        NDArray s = Tensors.float32(x.getManager(), scale, new Shape(n, 1, r)).toDevice(x.getDevice(), false);
        return in.matMul(loraA.array().transpose()).mul(s).matMul(loraB.array().transpose());
    }

    /**
     * The mask of the samples [start, start + count) from their router probabilities: each sample votes
     * for its top routeTopK experts; the most-voted form the mask. Counts the votes when training.
     */
    private int[] selectExperts(float[] probs, int start, int count) {
        int r = config.rank();
        float[] votes = new float[r];
        for (int b = start; b < start + count; b++) {
            for (int e : TopK.indices(probs, b * r, r, config.routeTopK())) {
                votes[e] += 1;
            }
        }
        float[] all = votes;
        if (training && exchange != null) {
            all = exchange.sum(name, votes); // every rank's votes for this module, summed
        }
        if (training) {
            for (int i = 0; i < r; i++) {
                counts[i] += all[i];
            }
        }
        return TopK.indices(scope == VoteScope.GLOBAL ? all : votes, config.routeTopK());
    }

    /** Whose votes choose a batch's mask when training runs on several ranks. */
    public enum VoteScope {
        /** The votes of the whole (global) batch: W ranks compute what one process does with batch W*b. */
        GLOBAL,
        /** Each rank's own votes, as PyTorch DataParallel would; the running counts are still summed. */
        LOCAL
    }

    /** Sums a module's votes over the ranks of a data-parallel run. */
    @FunctionalInterface
    public interface VoteExchange {
        float[] sum(String module, float[] localVotes);
    }

    /**
     * Splits each batch into this many equal groups, each taking its mask from its own votes: one
     * process then computes what W data-parallel ranks compute with {@code vote-scope = local}.
     */
    public void setMaskGroups(int groups) {
        if (groups < 1) {
            throw new IllegalArgumentException("mask groups must be >= 1, got " + groups);
        }
        this.maskGroups = groups;
    }

    /** Installs the vote exchange of a data-parallel run (null: single process). */
    public void setVoteExchange(VoteExchange exchange, VoteScope scope) {
        this.exchange = exchange;
        this.scope = scope;
    }

    /** The experts a merge would fold in now: the top mergeTopK by the task's counts. */
    public int[] mergedExperts() {
        return config.routing() == DacConfig.Routing.DENSE ? allExperts() : TopK.indices(counts, config.mergeTopK());
    }

    private int[] allExperts() {
        int[] all = new int[config.rank()];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /** The dense update s * B[:, S] A[S, :] (d_out x d_in) of the given experts. */
    public NDArray mergedUpdate(int[] experts) {
        NDArray idx = loraA.array().getManager().create(toLongs(experts)).toDevice(loraA.array().getDevice(), false);
        NDArray a = loraA.array().get(idx);                       // (k, d_in)
        NDArray b = loraB.array().get(new ai.djl.ndarray.index.NDIndex(":, {}", idx)); // (d_out, k)
        return Tensors.mul(b.matMul(a), (float) config.scaling());
    }

    /** B[:, S] for the given experts (d_out x k); differentiable. */
    public NDArray columnsOfB(int[] experts) {
        NDArray idx = loraB.array().getManager().create(toLongs(experts)).toDevice(loraB.array().getDevice(), false);
        return loraB.array().get(new ai.djl.ndarray.index.NDIndex(":, {}", idx));
    }

    static long[] toLongs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
