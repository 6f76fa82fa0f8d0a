package dev.dacspark.spark.train;

import dev.dacspark.testing.SparkSessions;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The driver sees a running stage's step count (the accumulator itself stays 0 until the task ends). */
class StepProgressTest {
    /** Released by the test once it has seen the running task's count (local mode: one JVM). */
    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    @Test
    void aRunningTasksStepsReachTheDriverWithTheHeartbeats() throws Exception {
        SparkSession spark = SparkSessions.local(Map.of("spark.executor.heartbeatInterval", "200ms"));
        try {
            LongAccumulator steps = spark.sparkContext().longAccumulator("steps");
            try (StepProgress progress = StepProgress.listen(spark.sparkContext(), steps)) {
                assertEquals(0, progress.steps());
                CompletableFuture<Void> stage = CompletableFuture.runAsync(() -> JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(List.of(0), 1).foreach(x -> {
                            steps.add(7);
                            if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                                throw new IllegalStateException("the test never released the task");
                            }
                        }));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (progress.steps() < 7 && System.nanoTime() < deadline && !stage.isDone()) {
                    Thread.sleep(50);
                }
                long seen = progress.steps();
                long merged = steps.value();
                RELEASE.countDown();
                stage.get(60, TimeUnit.SECONDS);
                assertEquals(7, seen, "steps reported while the task ran");
                assertEquals(0, merged, "the accumulator merges a task's updates only when it ends");
                assertEquals(7, steps.value(), "merged when the task ended");
            }
        } finally {
            spark.stop();
        }
    }
}
