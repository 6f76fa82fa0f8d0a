package dev.dacspark.spark.train;

/**
 * A failure that a retry would repeat exactly: a configuration or data error met by a rank, or a
 * non-finite loss (each step is seeded by its number, so the same step diverges again). The stage
 * records it as its {@link StageVerdict} and the driver fails the task at once instead of retrying.
 */
public final class DeterministicFailure extends RuntimeException {
    public DeterministicFailure(String message) {
        super(message);
    }

    public DeterministicFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
