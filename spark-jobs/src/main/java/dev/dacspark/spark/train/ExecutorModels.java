package dev.dacspark.spark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.Semaphore;

/**
 * The frozen CLIP of an executor JVM, loaded once and kept (the DJL Spark extension's pattern: a
 * model per JVM, not per task). A new checkpoint URI (the next task's merged model) replaces it.
 *
 * <p>Tasks take the model under an exclusive {@link Lease}. A rank attaches its pools to the cached
 * model, so two tasks must never hold it at once; and they can meet: when a barrier stage fails, the
 * retry's rank starts while the old attempt's rank on the same JVM may still be blocked on a dead
 * peer (until its socket timeout). Without the lease the old attempt detached the new one's pools
 * and closed its arrays mid-step (seen as NaN parameters after a retry).
 */
public final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Semaphore HOLDER = new Semaphore(1, true);
    private static final long QUIET_WAIT_MILLIS = 10_000;
    private static String loadedUri;
    private static NDManager manager;
    private static ClipModel model;

    private ExecutorModels() {}

    /** Exclusive use of the cached model until {@link #close}. */
    public static final class Lease implements AutoCloseable {
        private final ClipModel model;
        private final NDManager manager;
        private boolean released;

        private Lease(ClipModel model, NDManager manager) {
            this.model = model;
            this.manager = manager;
        }

        public ClipModel model() {
            return model;
        }

        /** The manager that owns the model's arrays (on the task's device); make task arrays in a sub-manager. */
        public NDManager manager() {
            return manager;
        }

        /** Drops the cached model (after a failure that may have left it changed); the next lease loads it again. */
        public void invalidate() {
            synchronized (ExecutorModels.class) {
                loadedUri = null;
            }
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                HOLDER.release();
            }
        }
    }

    /**
     * The model of {@code uri} on {@code device}, its backbone in {@code precision} (training's dac.model.precision;
     * evaluation: fp32), loading it if this JVM holds another one; waits up to {@code waitMillis} for an earlier task
     * of this JVM to release it.
     */
    public static Lease acquire(String uri, Precision precision, Device device, Configuration hadoop, long waitMillis)
            throws InterruptedException {
        // evaluation tasks of one JVM take turns within seconds: say so only when a wait lasts
        long quiet = Math.min(waitMillis, QUIET_WAIT_MILLIS);
        boolean held = HOLDER.tryAcquire(quiet, TimeUnit.MILLISECONDS);
        if (!held) {
            LOG.info("waiting (up to {} ms more) for another task of this JVM to release the model", waitMillis - quiet);
            held = HOLDER.tryAcquire(waitMillis - quiet, TimeUnit.MILLISECONDS);
        }
        if (!held) {
            throw new IllegalStateException("the executor's CLIP is still held by an earlier task of this JVM after " + waitMillis
                    + " ms (a rank of a failed attempt that has not ended); one rank per executor JVM is required");
        }
        try {
            synchronized (ExecutorModels.class) {
                if (!uri.equals(loadedUri) || !manager.getDevice().equals(device) || model.precision() != precision) {
                    load(uri, precision, device, hadoop);
                }
                return new Lease(model, manager);
            }
        } catch (RuntimeException | Error e) {
            HOLDER.release();
            throw e;
        }
    }

    private static void load(String uri, Precision precision, Device device, Configuration hadoop) {
        if (manager != null) {
            manager.close();
            manager = null;
        }
        loadedUri = null;
        long t0 = System.nanoTime();
        manager = NDManager.newBaseManager(device);
        model = ClipCheckpoint.load(Storage.localCopy(uri, hadoop), manager, precision);
        loadedUri = uri;
        LOG.info("loaded {} on {} ({}) in {} ms", uri, device, Section.id(precision), (System.nanoTime() - t0) / 1_000_000);
    }
}
