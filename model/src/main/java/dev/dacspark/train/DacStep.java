package dev.dacspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Tensors;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.lora.VoteExchange;

/**
 * Forward and backward of one training step, in the release's order: encode the class prompts,
 * encode the images (vote counts accumulate over both), symmetric soft-target CLIP loss, AGO loss,
 * backward. Leaves the gradients on the pools' parameters; the optimiser step is the caller's.
 *
 * <p>Data parallel: the normalised embeddings and labels of every rank are gathered, each rank's own
 * rows staying differentiable, so the loss is the whole batch's loss and the ranks' gradients SUM
 * to the gradient of one process with the whole batch. The AGO term is the same on every rank and
 * enters that sum once: only rank 0 back-propagates it. The routers' votes are summed over the ranks
 * by the step's {@link VoteExchange}: with {@code vote-scope = global} in the forward pass, each routed
 * module's before its mask is chosen (one collective sum per module); with {@code local} each rank's mask
 * takes its own votes and the counts get every module's sum in one exchange after the passes.
 *
 * <p>Transfers (see {@code clip.HostTransfers}): the losses are read once, at the end; with one rank
 * nothing else of the step leaves the device.
 */
public final class DacStep {
    private DacStep() {}

    /** Losses of one step (host floats), and the step's logits (B x B over the global batch, rows: texts). */
    public record Losses(float loss, float clip, float ago, NDArray logitsPerText) {}

    /** One process holding the whole batch. */
    public static Losses forwardBackward(ClipModel model, ExpertPools pools, TaskMemory memory, NDArray images,
            NDArray classText, long[] labels) {
        return forwardBackward(model, pools, memory, images, classText, labels, Collective.SINGLE);
    }

    /**
     * @param images     (b, 3, R, R) this rank's preprocessed images
     * @param classText  (b, context) token ids: each sample's class in the task's template
     * @param labels     b class labels (shared labels are shared positives, across ranks too)
     */
    public static Losses forwardBackward(ClipModel model, ExpertPools pools, TaskMemory memory, NDArray images,
            NDArray classText, long[] labels, Collective collective) {
        VoteExchange exchange = voteExchange(collective);
        pools.setVoteExchange(exchange);
        double agoWeight = pools.config().agoWeight();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray text = ClipModel.normalize(model.encodeText(classText));
            NDArray image = ClipModel.normalize(model.encodeImage(images));
            pools.countLocalVotes(exchange);
            NDArray logitsPerText = model.scaledProducts(collective.gatherRows(text), collective.gatherRows(image));
            NDArray clip = DacLoss.clipLoss(logitsPerText, collective.gatherLongs(labels));
            if (agoWeight == 0) {
                gc.backward(clip);
                float c = HostTransfers.floats(clip)[0];
                return new Losses(c, c, 0f, logitsPerText);
            }
            NDArray ago = DacLoss.agoLoss(pools.pools().values(), memory, images.getManager());
            NDArray weightedAgo = Tensors.mul(ago, (float) agoWeight);
            gc.backward(collective.rank() == 0 ? clip.add(weightedAgo) : clip);
            float[] l = HostTransfers.floats(NDArrays.stack(new NDList(clip, weightedAgo, ago))); // one read: clip, weighted AGO, AGO
            return new Losses(l[0] + l[1], l[0], l[2], logitsPerText);
        }
    }

    /** The vote exchange over the collective's ranks: a module's votes summed ({@link VoteExchange#NONE} for one rank). */
    static VoteExchange voteExchange(Collective collective) {
        if (collective.worldSize() == 1) {
            return VoteExchange.NONE;
        }
        return votes -> HostTransfers.float32(votes.getManager(), collective.sum(HostTransfers.floats(votes)), votes.getShape())
                .toDevice(votes.getDevice(), false);
    }
}
