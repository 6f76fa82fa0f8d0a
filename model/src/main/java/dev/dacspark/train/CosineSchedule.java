package dev.dacspark.train;

/**
 * Cosine annealing from the base rate to a floor over a task, no warm-up, as
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR(T_max = steps, eta_min)} stepped once per
 * iteration: lr(t) = min + (base - min) * (1 + cos(pi * t / steps)) / 2.
 */
public record CosineSchedule(double base, double min, int steps) implements java.io.Serializable {
    public CosineSchedule {
        if (steps < 1) {
            throw new IllegalArgumentException("a schedule needs at least one step, got " + steps);
        }
    }

    /** The learning rate of iteration t (0-based). */
    public double lr(int t) {
        return min + (base - min) * (1 + Math.cos(Math.PI * t / steps)) / 2;
    }
}
