package dev.dacspark.data;

/** Derived seeds: a stable hash of a root seed and parts (SplitMix64 finaliser), the same on every JVM. */
public final class Seeds {
    private Seeds() {}

    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h = finalise(h ^ finalise(p + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    /** A seed for a string id (String.hashCode is specified by the language, so stable). */
    public static long of(String id) {
        return finalise(id.hashCode());
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
