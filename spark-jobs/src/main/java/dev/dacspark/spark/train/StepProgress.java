package dev.dacspark.spark.train;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.JavaConverters;
import scala.collection.Seq;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The steps a running training stage has taken so far, as its tasks report them. A task's accumulator updates
 * reach the driver's accumulator only when the task ends; while it runs they arrive with the executor heartbeats
 * ({@code spark.executor.heartbeatInterval}, 10 s by default), which this listener reads.
 */
final class StepProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final long accumulatorId;
    private final AtomicLong steps = new AtomicLong();

    private StepProgress(SparkContext sc, LongAccumulator accumulator) {
        this.sc = sc;
        this.accumulatorId = accumulator.id();
    }

    /** Listens until closed; {@link #steps()} starts at 0. */
    static StepProgress listen(SparkContext sc, LongAccumulator accumulator) {
        StepProgress p = new StepProgress(sc, accumulator);
        sc.addSparkListener(p);
        return p;
    }

    /** The largest step count a running task of this accumulator reported (only rank 0 counts). */
    long steps() {
        return steps.get();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> task : JavaConverters.seqAsJavaList(update.accumUpdates())) {
            for (AccumulableInfo info : JavaConverters.seqAsJavaList(task._4())) {
                if (info.id() == accumulatorId && info.update().isDefined() && info.update().get() instanceof Number n) {
                    steps.accumulateAndGet(n.longValue(), Math::max);
                }
            }
        }
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
