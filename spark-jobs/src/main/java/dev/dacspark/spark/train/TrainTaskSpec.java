package dev.dacspark.spark.train;

import dev.dacspark.lora.DacConfig;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.CosineSchedule;

import java.io.Serializable;
import java.util.List;

/**
 * Everything the ranks of one task's training stage need, shipped with the stage.
 *
 * @param baseCheckpoint   the frozen CLIP to adapt (the base, or the merge of the earlier tasks), a URI
 * @param memoryUri        the AGO memory of earlier tasks (safetensors of kept B columns), or null
 * @param classTokens      (classes x context) token ids of the task's prompt (its one template)
 * @param shardFiles       per rank, the Parquet files of its shard of the task's training data
 * @param checkpointDir    where rank 0 writes step checkpoints (a URI); a retried stage resumes from them
 * @param failAtStep       test hook: rank {@code failRank} ends its executor JVM at this step of the first attempt (-1: off)
 * @param hangAtStep       test hook: rank {@code failRank} stops answering at this step (-1: off)
 */
public record TrainTaskSpec(int taskIndex, String taskName, String baseCheckpoint, String memoryUri, DacConfig method,
        AdamW.Settings adamw, CosineSchedule schedule, int batchPerRank, long seed, boolean frozenAugmentation,
        long[] classTokens, int contextLength, List<List<String>> shardFiles, String checkpointDir,
        int checkpointEvery, int checksumEvery, int timeoutMillis, int failAtStep, int hangAtStep, int failRank)
        implements Serializable {

    public int worldSize() {
        return shardFiles.size();
    }

    public int iterations() {
        return schedule.steps();
    }
}
