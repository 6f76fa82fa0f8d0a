package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The router of one expert pool: a linear map d_in -> r (with bias) and the task's running vote counts.
 *
 * <p>For a batch x (N, L, d_in) it chooses ONE mask of experts:
 * <ol>
 *   <li>cls = x[:, 0]: each sample's first token as it enters the layer (the [CLS] token in the vision
 *       tower, the start-of-text state in the text tower);</li>
 *   <li>each sample votes for its top routeTopK experts of softmax(router(cls));</li>
 *   <li>training: the batch's votes go through the step's {@link VoteExchange} (summed over the ranks) and
 *       are added to the running counts;</li>
 *   <li>the routeTopK most-voted experts form the mask, from the summed votes ({@link VoteScope#GLOBAL})
 *       or this rank's own ({@link VoteScope#LOCAL}).</li>
 * </ol>
 * Every top-k breaks ties toward the lower index ({@link TopK}). The router's output does not scale the
 * experts, so it gets no gradient (as in the authors' release): cls is taken without one.
 */
public final class Router extends Module {
    public final Param weight; // (r, d_in)
    public final Param bias;   // (r)
    private final Linear linear;
    private final DacConfig config;
    private final float[] counts;

    Router(long inFeatures, DacConfig config) {
        this.config = config;
        this.linear = child("", new Linear(inFeatures, config.rank(), true)); // inline: weight and bias are the router's own
        this.weight = linear.weight;
        this.bias = linear.bias;
        this.counts = new float[config.rank()];
    }

    /** Fresh values as {@code torch.nn.Linear} initialises itself (U(+-1/sqrt(d_in)), weight then bias); counts zero. */
    void initialize(NDManager manager, SplittableRandom rng) {
        double bound = 1 / Math.sqrt(weight.shape().get(1));
        weight.set(ExpertPool.uniform(manager, rng, weight.shape(), bound));
        bias.set(ExpertPool.uniform(manager, rng, bias.shape(), bound));
        Arrays.fill(counts, 0f);
    }

    /**
     * The mask (routeTopK expert indices, most-voted first) for the batch x (N, L, d_in); when training,
     * exchanges the votes and counts them.
     */
    public int[] route(NDArray x, VoteExchange exchange, boolean training) {
        int r = config.rank();
        float[] probs = HostTransfers.floats(linear.forward(x.get(":, 0, :").stopGradient()).softmax(-1)); // (N, r)
        float[] votes = new float[r];
        for (int b = 0; b < probs.length / r; b++) {
            for (int e : TopK.indices(probs, b * r, r, config.routeTopK())) {
                votes[e] += 1;
            }
        }
        if (!training) {
            return TopK.indices(votes, config.routeTopK());
        }
        float[] all = exchange.sumOverRanks(votes);
        for (int i = 0; i < r; i++) {
            counts[i] += all[i];
        }
        return TopK.indices(config.voteScope() == VoteScope.GLOBAL ? all : votes, config.routeTopK());
    }

    /** The k experts with the highest running counts of the task so far, highest first (ties: lower index first). */
    public int[] topExpertsByCount(int k) {
        return TopK.indices(counts, k);
    }

    /** The running vote counts of the current task (a copy). */
    public float[] counts() {
        return counts.clone();
    }

    /** Replaces the running counts (restoring a checkpoint). */
    void setCounts(float[] values) {
        System.arraycopy(values, 0, counts, 0, counts.length);
    }
}
