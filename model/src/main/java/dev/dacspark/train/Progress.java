package dev.dacspark.train;

import java.util.Locale;

/** Rate and ETA of a loop of known length, for progress lines. */
public final class Progress {
    private final int total;
    private final long start = System.nanoTime();

    public Progress(int total) {
        this.total = total;
    }

    /** "1.84 it/s, ETA 4m12s" after {@code done} iterations. */
    public String at(int done) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        long eta = Math.round((total - done) / Math.max(rate, 1e-9));
        return String.format(Locale.ROOT, "%.2f it/s, ETA %s", rate, duration(eta));
    }

    /** "42s", "4m12s" or "1h05m". */
    public static String duration(long seconds) {
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
    }
}
