package dev.dacspark.spark.train;

/**
 * Where the continual-learning job trains a task: a Spark barrier stage of W ranks
 * ({@link DistributedTrainer}) or the driver's own JVM as the one rank ({@link InProcessTrainer}).
 * Both run {@link RankTraining}; the job around them is the same.
 */
public interface TaskBackend {
    /** Refuses, with the setting to change, what this backend cannot train on: W ranks here. */
    void check(int world);

    /** Trains one task: its final step checkpoint is left in the spec's checkpoint folder; rank 0's report. */
    RankTask.Report train(TrainTaskSpec spec);
}
