package dev.dacspark.spark.train;

import dev.dacspark.clip.Precision;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.CosineSchedule;

import java.io.Serializable;
import java.util.List;

/**
 * Everything the ranks of one task's training stage need, shipped with the stage.
 *
 * @param faults what a test injects into the ranks ({@link FaultInjector#NONE} in production)
 */
public record TrainTaskSpec(Task task, Start start, Training training, Data data, Checkpoints checkpoints,
        FaultInjector faults) implements Serializable {

    /**
     * The task: its place in the stream, its seed (pools, batch plan, augmentation) and its prompt.
     *
     * @param classTokens (classes x context) token ids of the task's prompt (its one template)
     */
    public record Task(int index, String name, long seed, long[] classTokens, int contextLength) implements Serializable {}

    /**
     * Where training starts.
     *
     * @param baseCheckpoint the frozen CLIP to adapt (the base, or the merge of the earlier tasks), a URI
     * @param precision      the dtype the ranks hold its frozen backbone in (dac.model.precision)
     * @param memoryUri      the AGO memory of earlier tasks (safetensors of kept B columns), or null
     */
    public record Start(String baseCheckpoint, Precision precision, String memoryUri) implements Serializable {}

    /**
     * The method and its optimisation: every step takes {@code batchPerShard} samples of every shard
     * (the global batch over the shard count), augmentation frozen for few-shot sets.
     */
    public record Training(DacConfig method, AdamW.Settings adamw, CosineSchedule schedule, int batchPerShard,
            boolean frozenAugmentation) implements Serializable {}

    /**
     * The task's training data as prep sharded it ({@code shards}: per shard, its Parquet files) and
     * the ranks that share it: rank r holds the contiguous shards r S/W .. (r+1) S/W - 1, so the
     * ranks' batches, gathered in rank order, are the batch one process holding every shard takes:
     * the same batches in the same order for every W that divides the shard count.
     */
    public record Data(List<List<String>> shards, int world) implements Serializable {
        public Data {
            if (world < 1 || shards.isEmpty() || shards.size() % world != 0) {
                throw new IllegalArgumentException(shards.size() + " shard(s) do not split evenly over " + world + " rank(s)");
            }
        }

        /** The ids of rank r's shards. */
        public int[] shardsOf(int rank) {
            int per = shards.size() / world;
            int[] ids = new int[per];
            for (int i = 0; i < per; i++) {
                ids[i] = rank * per + i;
            }
            return ids;
        }
    }

    /**
     * Fault tolerance: rank 0 writes step checkpoints to {@code dir} (a URI) every {@code every} steps, a
     * retried stage resumes from them; parameter checksums every {@code checksumEvery} steps; a ring
     * read waiting longer than {@code timeoutMillis} fails the stage.
     */
    public record Checkpoints(String dir, int every, int checksumEvery, int timeoutMillis) implements Serializable {}

    public TrainTaskSpec withFaults(FaultInjector injected) {
        return new TrainTaskSpec(task, start, training, data, checkpoints, injected);
    }

    public int worldSize() {
        return data.world();
    }

    public int iterations() {
        return training.schedule().steps();
    }
}
