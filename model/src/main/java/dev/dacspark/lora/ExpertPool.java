package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
 * Masks and expert indices are device arrays: a step reads nothing of the pool to the host.
 * In {@link DacConfig.Routing#DENSE} mode there is no router and every expert is always on: a plain
 * LoRA, the {@code seq-lora} baseline.
 */
public final class ExpertPool extends Module implements Linear.Adapter {
    public final Param loraA;   // (r, d_in)
    public final Param loraB;   // (d_out, r)
    public final Router router; // d_in -> r, null in dense mode
    private final DacConfig config;
    private final String name;
    private final LoraDropout dropout; // null without dropout
    private boolean training;
    private VoteExchange exchange = VoteExchange.NONE;

    public ExpertPool(String name, long inFeatures, long outFeatures, DacConfig config) {
        this.name = name;
        this.config = config;
        this.loraA = param("lora_A", config.rank(), inFeatures);
        this.loraB = param("lora_B", outFeatures, config.rank());
        this.router = config.routing() == DacConfig.Routing.ROUTED ? child("router", new Router(inFeatures, config)) : null;
        this.dropout = config.dropout() > 0 ? new LoraDropout(config.dropout(), name.hashCode()) : null;
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

    /** The running vote counts of the current task, read to the host: the router's; zeros for a dense pool, which does not vote. */
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

    /**
     * x: (N, L, d_in) -> update (N, L, d_out). Training with dropout, the input is x * m / (1 - p) for the keep mask m
     * ({@link LoraDropout}), the router's too; the 1 / (1 - p) is applied to the rank-r product and to the [CLS] rows.
     */
    @Override
    public NDArray delta(NDArray x) {
        boolean drop = training && dropout != null;
        float keep = drop ? 1 - dropout.p() : 1;
        NDArray in = drop ? x.mul(dropout.keep(x)) : x; // x * m (N, L, d_in)
        NDArray mask = router == null ? x.getManager().ones(new Shape(config.rank())).toDevice(x.getDevice(), false)
                : router.route(drop ? Tensors.div(in.get(":, 0, :"), keep) : in.get(":, 0, :"), exchange, training);
        return maskedUpdate(in, mask, (float) config.scaling() / keep);
    }

    /** s * ((x A^T) * M) B^T for x (N, L, d_in) and the experts' mask M (r), boolean or 0/1: (N, L, d_out). */
    public NDArray maskedUpdate(NDArray x, NDArray mask) {
        return maskedUpdate(x, mask, (float) config.scaling());
    }

    private NDArray maskedUpdate(NDArray x, NDArray mask, float s) {
        NDArray scale = Tensors.mul(mask.toType(DataType.FLOAT32, false), s); // (r): s on M, 0 elsewhere
        return x.matMul(loraA.array().transpose()).mul(scale).matMul(loraB.array().transpose());
    }

    /** Restarts this pool's LoRA dropout generator (CPU masks); nothing without dropout. */
    void seedDropout(long seed) {
        if (dropout != null) {
            dropout.seed(seed);
        }
    }

    /**
     * The top mergeTopK experts by the task's running counts so far (k) int64 (ties: lower index first), what a
     * merge would fold in now and the current task's experts S of the AGO term; every expert for a dense pool.
     */
    public NDArray topExperts() {
        return router == null ? TopK.arange(loraB.array(), config.rank()) : router.topExpertsByCount(config.mergeTopK());
    }

    /** {@link #topExperts()} read to the host. */
    public int[] topExpertsByCount() {
        return Arrays.stream(HostTransfers.longs(topExperts())).mapToInt(Math::toIntExact).toArray();
    }

    /** The dense update s * B[:, S] A[S, :] (d_out x d_in) of the experts S (k) int64. */
    public NDArray mergedUpdate(NDArray experts) {
        NDArray a = loraA.array().get(experts);                       // (k, d_in)
        NDArray b = loraB.array().get(new NDIndex(":, {}", experts)); // (d_out, k)
        return Tensors.mul(b.matMul(a), (float) config.scaling());
    }

    /** B[:, S] for the experts S (k) int64 (d_out x k); differentiable. */
    public NDArray columnsOfB(NDArray experts) {
        return loraB.array().get(new NDIndex(":, {}", experts));
    }
}
