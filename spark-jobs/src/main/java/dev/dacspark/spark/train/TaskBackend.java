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
    default RankTask.Report train(TrainTaskSpec spec) {
        return train(spec, () -> {});
    }

    /**
     * {@link #train(TrainTaskSpec)} while {@code guard} lets it: the guard throws when the run may no longer be
     * written (the job lost the run's lease), and the backend calls it before each attempt, before a retry, and,
     * where the steps run in this JVM, after each step; its exception ends the training.
     */
    RankTask.Report train(TrainTaskSpec spec, Runnable guard);
}
