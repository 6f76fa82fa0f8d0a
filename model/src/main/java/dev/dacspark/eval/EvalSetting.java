package dev.dacspark.eval;

import dev.dacspark.config.Section;

/**
 * How a test image is classified ({@code dac.eval.settings}).
 * <ul>
 *   <li>{@link #MTIL}: over its own task's class names with that task's templates (the task is known at test
 *       time; ZSCL's MTIL protocol);</li>
 *   <li>{@link #X_TAIL}: over the union of the class names of every task of the stream, with no domain hint
 *       (RAIL's cross-domain task-agnostic incremental learning, NeurIPS 2024): see {@link UnionLabelSpace}.</li>
 * </ul>
 * Both give one accuracy matrix per method, read by the same {@link ContinualMetrics}.
 */
public enum EvalSetting {
    MTIL, X_TAIL;

    /** How configs and results name the setting: {@code mtil}, {@code x-tail}. */
    public String id() {
        return Section.id(this);
    }
}
