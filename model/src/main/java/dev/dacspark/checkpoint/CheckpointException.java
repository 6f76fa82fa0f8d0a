package dev.dacspark.checkpoint;

/** A checkpoint that cannot be read, does not fit the model, or cannot be written. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
