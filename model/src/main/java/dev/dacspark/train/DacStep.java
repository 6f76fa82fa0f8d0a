package dev.dacspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;

/**
 * Forward and backward of one training step, in the release's order: encode the class prompts,
 * encode the images (vote counts accumulate over both), symmetric soft-target CLIP loss, AGO loss,
 * backward. Leaves the gradients on the pools' parameters; the optimiser step is the caller's, so
 * a distributed trainer can all-reduce in between.
 */
public final class DacStep {
    private DacStep() {}

    /** Losses of one step (host floats), and the step's logits (B x B, rows: texts). */
    public record Losses(float loss, float clip, float ago, NDArray logitsPerText) {}

    /**
     * @param images     (B, 3, R, R) preprocessed images
     * @param classText  (B, context) token ids: each sample's class in the task's template
     * @param labels     B class labels (shared labels are shared positives)
     */
    public static Losses forwardBackward(ClipModel model, ExpertPools pools, TaskMemory memory, NDArray images,
            NDArray classText, long[] labels) {
        double agoWeight = pools.config().agoWeight();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray text = model.encodeText(classText);
            NDArray image = model.encodeImage(images);
            NDArray logitsPerText = model.logitsPerImage(text, image); // (B, B), rows: texts
            NDArray clip = DacLoss.clipLoss(logitsPerText, labels);
            NDArray ago = agoWeight > 0 ? DacLoss.agoLoss(pools.pools().values(), memory, images.getManager())
                    : images.getManager().zeros(new ai.djl.ndarray.types.Shape());
            NDArray loss = agoWeight > 0 ? clip.add(ago.mul((float) agoWeight)) : clip;
            gc.backward(loss);
            return new Losses(loss.getFloat(), clip.getFloat(), ago.getFloat(), logitsPerText);
        }
    }
}
