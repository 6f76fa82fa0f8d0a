package dev.dacspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Tensors;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.TaskMemory;

import java.util.Collection;

/** The losses of a DAC training step. */
public final class DacLoss {
    private DacLoss() {}

    /**
     * The release's soft-target symmetric contrastive loss. logitsPerText (B x B) = exp(logit_scale)
     * * text . image^T; targets T[i][j] = [label_i == label_j] / (row count); L = (CE(logits, T) +
     * CE(logits^T, T^T)) / 2, soft cross entropy averaged over rows. Samples of one class are
     * positives of each other.
     */
    public static NDArray clipLoss(NDArray logitsPerText, long[] labels) {
        int n = labels.length;
        float[] t = new float[n * n];
        for (int i = 0; i < n; i++) {
            int same = 0;
            for (int j = 0; j < n; j++) {
                same += labels[i] == labels[j] ? 1 : 0;
            }
            for (int j = 0; j < n; j++) {
                t[i * n + j] = labels[i] == labels[j] ? 1f / same : 0f;
            }
        }
        NDManager m = logitsPerText.getManager();
        NDArray targets = HostTransfers.float32(m, t, new ai.djl.ndarray.types.Shape(n, n)).toDevice(logitsPerText.getDevice(), false);
        NDArray textToImage = softCrossEntropy(logitsPerText, targets);
        NDArray imageToText = softCrossEntropy(logitsPerText.transpose(), targets.transpose());
        return Tensors.div(textToImage.add(imageToText), 2f);
    }

    /** mean over rows of -sum_j targets_ij * log_softmax(logits)_ij. */
    static NDArray softCrossEntropy(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).mul(targets).sum(new int[] {-1}).neg().mean();
    }

    /**
     * Activation-guided orthogonality: for every module, S = the current task's top experts by
     * running count (counts include this batch), P = the kept B columns of earlier tasks;
     * L = (1 / modules) * sum over modules of sum |B[:, S]^T P|. Zero when nothing is kept yet.
     */
    public static NDArray agoLoss(Collection<ExpertPool> pools, TaskMemory memory, NDManager manager) {
        NDArray total = null;
        for (ExpertPool pool : pools) {
            NDArray p = memory.get(pool.name());
            if (p == null) {
                continue;
            }
            NDArray term = pool.columnsOfB(pool.topExperts()).transpose().matMul(p).abs().sum();
            total = total == null ? term : total.add(term);
        }
        return total == null ? manager.zeros(new ai.djl.ndarray.types.Shape()) : Tensors.div(total, pools.size());
    }
}
