package dev.dacspark.spark.train;

import dev.dacspark.lora.DacConfig;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.CosineSchedule;

import java.io.Serializable;
import java.util.List;

/**
 * Everything the ranks of one task's training stage need, shipped with the stage.
 *
 * @param shardFiles per rank, the Parquet files of its shard of the task's training data
 * @param faults     what a test injects into the ranks ({@link FaultInjector#NONE} in production)
 */
public record TrainTaskSpec(Task task, Start start, Training training, List<List<String>> shardFiles, Checkpoints checkpoints,
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
     * @param memoryUri      the AGO memory of earlier tasks (safetensors of kept B columns), or null
     */
    public record Start(String baseCheckpoint, String memoryUri) implements Serializable {}

    /** The method and its optimisation: batchPerRank of the global batch, augmentation frozen for few-shot sets. */
    public record Training(DacConfig method, AdamW.Settings adamw, CosineSchedule schedule, int batchPerRank,
            boolean frozenAugmentation) implements Serializable {}

    /**
     * Fault tolerance: rank 0 writes step checkpoints to {@code dir} (a URI) every {@code every} steps, a
     * retried stage resumes from them; parameter checksums every {@code checksumEvery} steps; a ring
     * read waiting longer than {@code timeoutMillis} fails the stage.
     */
    public record Checkpoints(String dir, int every, int checksumEvery, int timeoutMillis) implements Serializable {}

    public TrainTaskSpec withFaults(FaultInjector injected) {
        return new TrainTaskSpec(task, start, training, shardFiles, checkpoints, injected);
    }

    public int worldSize() {
        return shardFiles.size();
    }

    public int iterations() {
        return training.schedule().steps();
    }
}
