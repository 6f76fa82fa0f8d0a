package dev.dacspark.spark.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Precision;
import dev.dacspark.testing.TinyWorld;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-JVM model cache: loaded once, held by one task at a time, reloaded after a failure. */
class ExecutorModelsTest {
    @TempDir
    static Path dir;

    @Test
    void aSecondTaskWaitsForTheFirstToReleaseTheModel() throws Exception {
        String uri = TinyWorld.checkpoint(dir, 3).toUri().toString();
        Configuration hadoop = new Configuration();
        ExecutorModels.Lease first = ExecutorModels.acquire(uri, Precision.FP32, Device.cpu(), hadoop, 1000);
        // a retried rank on the same JVM while the failed attempt's rank still holds the model
        CompletableFuture<ExecutorModels.Lease> refused = CompletableFuture.supplyAsync(() -> lease(uri, hadoop, 200));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try {
                refused.join();
            } catch (java.util.concurrent.CompletionException c) {
                throw c.getCause();
            }
        });
        assertTrue(e.getMessage().contains("still held by an earlier task"), e.getMessage());

        CompletableFuture<ExecutorModels.Lease> waiting = CompletableFuture.supplyAsync(() -> lease(uri, hadoop, 30_000));
        Thread.sleep(300);
        assertFalse(waiting.isDone(), "the second task must wait while the first holds the model");
        first.close();
        ExecutorModels.Lease second = waiting.get(30, TimeUnit.SECONDS);
        assertSame(first.model(), second.model(), "the cached model is reused");
        second.invalidate();
        CompletableFuture.runAsync(second::close).get(); // released from whichever thread ends the task
        try (ExecutorModels.Lease third = ExecutorModels.acquire(uri, Precision.FP32, Device.cpu(), hadoop, 1000)) {
            assertNotSame(second.model(), third.model(), "an invalidated model is loaded again");
        }
    }

    @Test
    void theModelIsHeldInTheRequestedPrecision() throws Exception {
        String uri = TinyWorld.checkpoint(dir, 3).toUri().toString();
        Configuration hadoop = new Configuration();
        ClipModel fp16;
        try (ExecutorModels.Lease training = ExecutorModels.acquire(uri, Precision.FP16, Device.cpu(), hadoop, 1000)) {
            fp16 = training.model();
            assertSame(Precision.FP16, fp16.precision());
            assertSame(DataType.FLOAT16, fp16.visual.transformer.blocks().get(0).attn.qProj.weight.array().getDataType());
        }
        try (ExecutorModels.Lease evaluation = ExecutorModels.acquire(uri, Precision.FP32, Device.cpu(), hadoop, 1000)) {
            assertNotSame(fp16, evaluation.model(), "the same checkpoint in another precision is loaded again");
            assertSame(Precision.FP32, evaluation.model().precision());
        }
    }

    private static ExecutorModels.Lease lease(String uri, Configuration hadoop, long waitMillis) {
        try {
            return ExecutorModels.acquire(uri, Precision.FP32, Device.cpu(), hadoop, waitMillis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
