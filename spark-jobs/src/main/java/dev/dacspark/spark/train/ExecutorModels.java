package dev.dacspark.spark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipModel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;

/**
 * The frozen CLIP of an executor JVM, loaded once and kept (the DJL Spark extension's pattern: a
 * model per JVM, not per task). A new checkpoint URI (the next task's merged model) replaces it.
 */
final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static String loadedUri;
    private static NDManager manager;
    private static ClipModel model;

    private ExecutorModels() {}

    /** The model of {@code uri} on {@code device}, loading it if this JVM holds another one. */
    static synchronized ClipModel get(String uri, Device device, Configuration hadoop) {
        if (uri.equals(loadedUri) && manager.getDevice().equals(device)) {
            return model;
        }
        if (manager != null) {
            manager.close();
        }
        long t0 = System.nanoTime();
        manager = NDManager.newBaseManager(device);
        model = ClipCheckpoint.load(localCopy(uri, hadoop), manager);
        loadedUri = uri;
        LOG.info("loaded {} on {} in {} ms", uri, device, (System.nanoTime() - t0) / 1_000_000);
        return model;
    }

    /** Forgets the cached model; the next {@link #get} loads it again. */
    static synchronized void invalidate() {
        loadedUri = null;
    }

    static synchronized NDManager manager() {
        return manager;
    }

    /** A local file for a checkpoint URI (object stores are copied to a temp file first). */
    static java.nio.file.Path localCopy(String uri, Configuration hadoop) {
        URI u = URI.create(uri);
        if (u.getScheme() == null || u.getScheme().equals("file")) {
            return java.nio.file.Path.of(u.getScheme() == null ? uri : u.getPath());
        }
        try {
            java.nio.file.Path tmp = Files.createTempFile("dac-model-", ".safetensors");
            tmp.toFile().deleteOnExit();
            Path src = new Path(u);
            FileSystem fs = src.getFileSystem(hadoop);
            fs.copyToLocalFile(false, src, new Path(tmp.toUri()), true);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch " + uri + ": " + e.getMessage(), e);
        }
    }
}
