package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;

import java.util.SplittableRandom;

/**
 * The router of one expert pool: a linear map d_in -> r (with bias) and the task's running vote counts.
 *
 * <p>For a batch x (N, L, d_in) it chooses ONE mask of experts:
 * <ol>
 *   <li>cls = x[:, 0]: each sample's first token as it enters the layer (the [CLS] token in the vision
 *       tower, the start-of-text state in the text tower);</li>
 *   <li>each sample votes for its top routeTopK experts of softmax(router(cls));</li>
 *   <li>the routeTopK most-voted experts form the mask, from the votes summed over the ranks by the step's
 *       {@link VoteExchange} ({@link VoteScope#GLOBAL}: one exchange per module) or from this rank's own
 *       ({@link VoteScope#LOCAL});</li>
 *   <li>training: the votes summed over the ranks are added to the running counts: at once for the global scope,
 *       and for the local scope once the step's passes are done, every module's in one exchange
 *       ({@link ExpertPools#countLocalVotes}).</li>
 * </ol>
 * Every top-k breaks ties toward the lower index ({@link TopK}). All of it stays on the device, counts included:
 * they are read to the host only when asked for ({@link #counts()}: a checkpoint, the end of a task). The router's
 * output does not scale the experts, so it gets no gradient (as in the authors' release): cls is taken without one.
 */
public final class Router extends Module {
    public final Param weight; // (r, d_in)
    public final Param bias;   // (r)
    private final Linear linear;
    private final DacConfig config;
    private NDArray counts;    // (r) float32, on the router's device
    private NDArray uncounted; // (r) local scope: this rank's votes of the step, not yet in counts

    Router(long inFeatures, DacConfig config) {
        this.config = config;
        this.linear = child("", new Linear(inFeatures, config.rank(), true)); // inline: weight and bias are the router's own
        this.weight = linear.weight;
        this.bias = linear.bias;
    }

    /** Fresh values as {@code torch.nn.Linear} initialises itself (U(+-1/sqrt(d_in)), weight then bias); counts zero. */
    void initialize(NDManager manager, SplittableRandom rng) {
        double bound = 1 / Math.sqrt(weight.shape().get(1));
        weight.set(ExpertPool.uniform(manager, rng, weight.shape(), bound));
        bias.set(ExpertPool.uniform(manager, rng, bias.shape(), bound));
        replaceCounts(manager.zeros(new Shape(config.rank())).toDevice(weight.array().getDevice(), false));
    }

    /**
     * The mask (r) boolean of the batch with [CLS] rows cls (N, d_in); when training, exchanges the votes and counts them.
     */
    public NDArray route(NDArray cls, VoteExchange exchange, boolean training) {
        if (counts == null) {
            throw new IllegalStateException("router without vote counts: initialise the pools or restore their counts first");
        }
        int k = config.routeTopK();
        NDArray probs = linear.forward(cls.stopGradient()).softmax(-1);                          // (N, r)
        NDArray votes = TopK.mask(probs, k).toType(DataType.FLOAT32, false).sum(new int[] {0}); // (r)
        if (!training) {
            return TopK.mask(votes, k);
        }
        if (config.voteScope() == VoteScope.LOCAL) {
            uncounted = uncounted == null ? votes : uncounted.add(votes);
            return TopK.mask(votes, k);
        }
        NDArray all = exchange.sumOverRanks(votes);
        counts.addi(all);
        return TopK.mask(all, k);
    }

    /** Local scope: takes this rank's votes since the last count (zeros if none); the caller counts their sum over the ranks. */
    NDArray takeUncounted() {
        NDArray votes = uncounted == null ? counts.zerosLike() : uncounted;
        uncounted = null;
        return votes;
    }

    /** Adds votes (r), summed over the ranks, to the running counts. */
    void count(NDArray votes) {
        counts.addi(votes);
    }

    /** The k experts with the highest running counts of the task so far (k) int64, highest first (ties: lower index first). */
    public NDArray topExpertsByCount(int k) {
        return TopK.indices(counted(), k);
    }

    /** The running vote counts of the current task, read to the host. */
    public float[] counts() {
        return HostTransfers.floats(counted());
    }

    /** The running counts (r) on the device. */
    NDArray countArray() {
        return counted();
    }

    private NDArray counted() {
        if (uncounted != null) {
            throw new IllegalStateException("local vote scope: votes of this step not counted yet (ExpertPools.countLocalVotes)");
        }
        return counts;
    }

    /** Replaces the running counts (restoring a checkpoint). */
    void setCounts(float[] values) {
        NDArray w = weight.array();
        replaceCounts(HostTransfers.float32(w.getManager(), values, new Shape(values.length)).toDevice(w.getDevice(), false));
    }

    private void replaceCounts(NDArray values) {
        NDScope.unregister(values);
        if (counts != null) {
            counts.close();
        }
        counts = values;
    }
}
