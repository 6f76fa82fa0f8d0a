package dev.dacspark.train;

/**
 * Cosine annealing from the base rate to a floor, after an optional linear warm-up. Without warm-up it is
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR(T_max = steps, eta_min)} stepped once per iteration:
 * lr(t) = min + (base - min) * (1 + cos(pi * t / steps)) / 2. With {@code warmup} steps, iteration t < warmup
 * runs at base * (t + 1) / warmup, and the cosine then spans the remaining steps: lr(t) = min + (base - min) *
 * (1 + cos(pi * (t - warmup) / (steps - warmup))) / 2.
 */
public record CosineSchedule(double base, double min, int steps, int warmup) implements java.io.Serializable {
    public CosineSchedule {
        if (steps < 1) {
            throw new IllegalArgumentException("a schedule needs at least one step, got " + steps);
        }
        if (warmup < 0 || warmup >= steps) {
            throw new IllegalArgumentException("warm-up must be in [0, " + steps + ") steps, got " + warmup);
        }
    }

    /** No warm-up. */
    public CosineSchedule(double base, double min, int steps) {
        this(base, min, steps, 0);
    }

    /** The learning rate of iteration t (0-based). */
    public double lr(int t) {
        if (t < warmup) {
            return base * (t + 1) / warmup;
        }
        return min + (base - min) * (1 + Math.cos(Math.PI * (t - warmup) / (steps - warmup))) / 2;
    }
}
