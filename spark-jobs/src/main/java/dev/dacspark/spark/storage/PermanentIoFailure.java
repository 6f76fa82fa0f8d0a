package dev.dacspark.spark.storage;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * An I/O failure that every retry repeats until someone acts: the storage is full (no space left on the device, a
 * quota reached) or the job may not write there (permission denied, a read-only file system). Spark retries a failed
 * task up to {@code spark.task.maxFailures} times and a failed barrier stage up to
 * {@code spark.stage.maxConsecutiveAttempts} times, and the trainer retries a failed stage {@code dac.job.attempts}
 * times: each fails the same way, and the cause ends up deep in a stack trace. So the jobs recognise these failures
 * (here, by the exception's class and message, local or sent back by an executor), stop at the first one
 * ({@link PermanentFailureWatch}) and report it once, as what it is, with the path.
 */
public final class PermanentIoFailure extends RuntimeException {

    /** The kinds, each with the words of the exceptions that say it (JDK, libc via the JDK, Hadoop, HDFS, S3). */
    public enum Kind {
        NO_SPACE("no space left on device", "free space there", "No space left on device", "ENOSPC"),
        QUOTA("storage quota exceeded", "raise the quota or free space there", "Disk quota exceeded", "QuotaExceededException",
                "EDQUOT"),
        PERMISSION("permission denied", "give the job write access there or choose another location", "Permission denied",
                "AccessDeniedException", "AccessControlException", "Access Denied"),
        READ_ONLY("read-only file system", "choose a writable location", "Read-only file system", "EROFS");

        private final String words;
        private final String action;
        private final String[] markers;

        Kind(String words, String action, String... markers) {
            this.words = words;
            this.action = action;
            this.markers = markers;
        }

        /** The kind a text (an exception's class and message, or a stack trace) names, if any. */
        public static Optional<Kind> in(String text) {
            if (text == null) {
                return Optional.empty();
            }
            return Arrays.stream(values()).filter(k -> Arrays.stream(k.markers).anyMatch(text::contains)).findFirst();
        }

        /** The kind anywhere in a cause chain, if any. */
        public static Optional<Kind> in(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                Optional<Kind> kind = in(t.getClass().getName() + ": " + t.getMessage());
                if (kind.isPresent()) {
                    return kind;
                }
            }
            return Optional.empty();
        }
    }

    private final Kind kind;

    /** {@code doing}: what failed, with the path, e.g. "writing s3a://b/runs/x/_manifest.json". */
    public PermanentIoFailure(Kind kind, String doing, Throwable cause) {
        super(String.format(Locale.ROOT, "%s: %s; %s, then run it again (a training run resumes after its last commit, "
                + "inside a task from its last step checkpoint). Not retried: every retry would fail the same way", doing,
                kind.words, kind.action), cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The exception for a failed I/O call: a {@link PermanentIoFailure} when the failure is one, else an
     * {@link java.io.UncheckedIOException} (or the error itself) saying what failed.
     */
    public static RuntimeException of(String doing, Throwable e) {
        Optional<Kind> kind = Kind.in(e);
        if (kind.isPresent()) {
            return new PermanentIoFailure(kind.get(), doing, e);
        }
        if (e instanceof java.io.IOException io) {
            return new java.io.UncheckedIOException(doing + ": " + e.getMessage(), io);
        }
        return new IllegalStateException(doing + ": " + e, e);
    }
}
