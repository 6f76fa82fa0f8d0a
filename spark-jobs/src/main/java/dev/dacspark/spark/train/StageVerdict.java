package dev.dacspark.spark.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The verdict of a training stage that met a {@link DeterministicFailure}: one small file beside the
 * step checkpoints. Spark retries a failed barrier stage by itself; a retried rank that finds the
 * verdict fails at once (before the rendezvous), and the driver reads it to fail the task with the
 * first failure's message instead of its own retries. The driver clears it when it starts a task.
 */
final class StageVerdict {
    static final String FILE = "_failed.txt";

    private StageVerdict() {}

    static void write(String checkpointDir, String message, Configuration hadoop) {
        Path p = path(checkpointDir);
        try (FSDataOutputStream out = p.getFileSystem(hadoop).create(p, true)) {
            out.write(message.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the stage verdict " + p + ": " + e.getMessage(), e);
        }
    }

    /** The recorded failure's message, or null. */
    static String read(String checkpointDir, Configuration hadoop) {
        Path p = path(checkpointDir);
        try {
            FileSystem fs = p.getFileSystem(hadoop);
            if (!fs.exists(p)) {
                return null;
            }
            try (var in = fs.open(p)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the stage verdict " + p + ": " + e.getMessage(), e);
        }
    }

    static void clear(String checkpointDir, Configuration hadoop) {
        Path p = path(checkpointDir);
        try {
            p.getFileSystem(hadoop).delete(p, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the stage verdict " + p + ": " + e.getMessage(), e);
        }
    }

    private static Path path(String checkpointDir) {
        return new Path(URI.create(checkpointDir + "/" + FILE));
    }
}
