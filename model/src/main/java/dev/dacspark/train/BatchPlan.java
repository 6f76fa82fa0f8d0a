package dev.dacspark.train;

import dev.dacspark.data.Seeds;

import java.util.SplittableRandom;

/**
 * Which samples make up each step's batch, for data split into shards (one per data-parallel rank;
 * a single process may hold them all). At step t every shard contributes b samples: shard s is
 * shuffled once per epoch with a seed of (seed, s, epoch) and read b at a time, the last partial
 * batch of an epoch dropped. The plan is a pure function of the step, so training resumes at any
 * step without replaying the data, and W ranks of batch b see exactly the samples that one process
 * sees with the W shards and batch W*b.
 */
public final class BatchPlan {
    private final int[] shardSizes;
    private final int batchPerShard;
    private final long seed;

    public BatchPlan(int[] shardSizes, int batchPerShard, long seed) {
        for (int s = 0; s < shardSizes.length; s++) {
            if (shardSizes[s] < batchPerShard) {
                throw new IllegalArgumentException("shard " + s + " holds " + shardSizes[s] + " samples, fewer than a batch of "
                        + batchPerShard + " (batches drop the last partial batch)");
            }
        }
        this.shardSizes = shardSizes.clone();
        this.batchPerShard = batchPerShard;
        this.seed = seed;
    }

    public int batchPerShard() {
        return batchPerShard;
    }

    /** Indices into shard s of its b samples at step t. */
    public int[] indices(int shard, long step) {
        int size = shardSizes[shard];
        long stepsPerEpoch = size / batchPerShard;
        long epoch = step / stepsPerEpoch;
        int offset = (int) ((step % stepsPerEpoch) * batchPerShard);
        int[] order = shuffled(size, Seeds.mix(seed, shard, epoch));
        int[] out = new int[batchPerShard];
        System.arraycopy(order, offset, out, 0, batchPerShard);
        return out;
    }

    private static int[] shuffled(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }
}
