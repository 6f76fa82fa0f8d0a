package dev.dacspark.spark.continual;

/**
 * Points in the driver's run that a test can act at (stop the object store before a write, end the
 * driver after a commit); a production run passes {@link #NONE}.
 */
public interface JobEvents {
    JobEvents NONE = new JobEvents() {};

    /** Before a task's merged checkpoint is written. */
    default void beforeMergedCheckpoint(String method, int task) {}

    /** After task {@code task} (1-based) of a trained method was committed. */
    default void afterCommit(String method, int task) {}
}
