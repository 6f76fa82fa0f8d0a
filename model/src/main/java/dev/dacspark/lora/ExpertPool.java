package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;
import dev.dacspark.clip.Tensors;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The rank-1 expert pool of one linear layer: a LoRA with A (r x d_in) and B (d_out x r), where row
 * i of A with column i of B is expert i (the rank-1 update b_i a_i^T), and its {@link Router}.
 *
 * <p>Forward, for the layer's input x (N, L, d_in): dropout (training only; the router sees the
 * dropped-out input too), the router's mask M for the batch, and the update s * ((x A^T) * M) B^T with
 * s = alpha / r: the dense d_out x d_in matrix is never formed, and experts outside M get no gradient.
 * In {@link DacConfig.Routing#DENSE} mode there is no router and every expert is always on: a plain
 * LoRA, the {@code seq-lora} baseline.
 */
public final class ExpertPool extends Module implements Linear.Adapter {
    public final Param loraA;   // (r, d_in)
    public final Param loraB;   // (d_out, r)
    public final Router router; // d_in -> r, null in dense mode
    private final DacConfig config;
    private final String name;
    private boolean training;
    private VoteExchange exchange = VoteExchange.NONE;

    public ExpertPool(String name, long inFeatures, long outFeatures, DacConfig config) {
        this.name = name;
        this.config = config;
        this.loraA = param("lora_A", config.rank(), inFeatures);
        this.loraB = param("lora_B", outFeatures, config.rank());
        this.router = config.routing() == DacConfig.Routing.ROUTED ? child("router", new Router(inFeatures, config)) : null;
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
        loraA.set(uniform(manager, rng, loraA.shape(), 1 / Math.sqrt(loraA.shape().get(1))));
        loraB.set(manager.zeros(loraB.shape()));
        if (router != null) {
            router.initialize(manager, rng);
        }
    }

    /** U(-bound, bound) values of the given shape, drawn in order from rng. */
    static NDArray uniform(NDManager manager, SplittableRandom rng, Shape shape, double bound) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return HostTransfers.float32(manager, v, shape);
    }

    /** Training mode: dropout on, votes exchanged and counted. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** The vote exchange of the training step ({@link ExpertPools#setVoteExchange}; {@link VoteExchange#NONE} in one process). */
    void setVoteExchange(VoteExchange exchange) {
        this.exchange = exchange;
    }

    /** The running vote counts of the current task (a copy): the router's; zeros for a dense pool, which does not vote. */
    public float[] counts() {
        return router == null ? new float[config.rank()] : router.counts();
    }

    /** Replaces the running counts (restoring a checkpoint). */
    public void setCounts(float[] values) {
        if (values.length != config.rank()) {
            throw new IllegalArgumentException(name + ": " + values.length + " counts for rank " + config.rank());
        }
        if (router != null) {
            router.setCounts(values);
        }
    }

    /** x: (N, L, d_in) -> update (N, L, d_out). */
    @Override
    public NDArray delta(NDArray x) {
        NDArray in = training && config.dropout() > 0 ? Dropout.dropout(x, (float) config.dropout()).singletonOrThrow() : x;
        return maskedUpdate(in, router == null ? allExperts(config.rank()) : router.route(in, exchange, training));
    }

    /** s * ((x A^T) * M) B^T for x (N, L, d_in) and the experts M: (N, L, d_out). */
    public NDArray maskedUpdate(NDArray x, int[] experts) {
        float[] scale = new float[config.rank()]; // s on the mask's experts, 0 elsewhere
        for (int e : experts) {
            scale[e] = (float) config.scaling();
        }
        NDArray s = HostTransfers.float32(x.getManager(), scale, new Shape(config.rank())).toDevice(x.getDevice(), false);
        return x.matMul(loraA.array().transpose()).mul(s).matMul(loraB.array().transpose());
    }

    /**
     * The top mergeTopK experts by the task's running counts so far (ties: lower index first), what a merge
     * would fold in now and the current task's experts S of the AGO term; every expert for a dense pool.
     */
    public int[] topExpertsByCount() {
        return router == null ? allExperts(config.rank()) : router.topExpertsByCount(config.mergeTopK());
    }

    /** 0, 1, ..., r - 1. */
    static int[] allExperts(int r) {
        int[] all = new int[r];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /** The dense update s * B[:, S] A[S, :] (d_out x d_in) of the given experts. */
    public NDArray mergedUpdate(int[] experts) {
        NDArray a = loraA.array().get(index(loraA, experts));                       // (k, d_in)
        NDArray b = loraB.array().get(new NDIndex(":, {}", index(loraB, experts))); // (d_out, k)
        return Tensors.mul(b.matMul(a), (float) config.scaling());
    }

    /** B[:, S] for the given experts (d_out x k); differentiable. */
    public NDArray columnsOfB(int[] experts) {
        return loraB.array().get(new NDIndex(":, {}", index(loraB, experts)));
    }

    /** The experts' indices as an int64 array on the manager and device of {@code of}. */
    private static NDArray index(Param of, int[] experts) {
        long[] idx = new long[experts.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = experts[i];
        }
        return HostTransfers.int64(of.array().getManager(), idx, new Shape(idx.length)).toDevice(of.array().getDevice(), false);
    }
}
