package dev.dacspark.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** k-shot sampling: one seeded shuffle of the training set, then the first k of each class. */
public final class FewShot {
    private FewShot() {}

    /** The first k samples of every class in a seeded shuffle; k <= 0 keeps everything (shuffled). */
    public static List<Sample> sample(List<Sample> samples, int k, long seed) {
        List<Sample> shuffled = new ArrayList<>(samples);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            Sample t = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, t);
        }
        if (k <= 0) {
            return shuffled;
        }
        int classes = shuffled.stream().mapToInt(Sample::label).max().orElse(-1) + 1;
        int[] taken = new int[classes];
        List<Sample> out = new ArrayList<>();
        for (Sample s : shuffled) {
            if (taken[s.label()] < k) {
                taken[s.label()]++;
                out.add(s);
            }
        }
        return out;
    }
}
