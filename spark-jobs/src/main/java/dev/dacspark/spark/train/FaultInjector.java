package dev.dacspark.spark.train;

import java.io.Serializable;

/**
 * Faults that a test injects into the ranks of a training stage (an executor that dies, a rank that
 * hangs), carried by the stage's spec. Production runs carry {@link #NONE}: the production code
 * holds no fault of its own.
 */
public interface FaultInjector extends Serializable {
    FaultInjector NONE = new None();

    /** Called by each rank before it trains {@code step}, in the stage's {@code attempt} (0 first). */
    void beforeStep(int rank, int attempt, int step) throws Exception;

    /** No fault. */
    record None() implements FaultInjector {
        @Override
        public void beforeStep(int rank, int attempt, int step) {}
    }
}
