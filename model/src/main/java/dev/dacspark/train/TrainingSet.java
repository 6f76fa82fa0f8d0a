package dev.dacspark.train;

import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.data.Sample;
import dev.dacspark.data.Seeds;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A task's training images with their augmentation. Each sample's RandomResizedCrop is seeded by
 * (task seed, sample id, epoch), so a sample gets the same crop whoever reads it. Few-shot sets
 * are augmented once and reused (the augmentation is frozen at collection, as in the reference);
 * full sets draw a new crop each epoch.
 */
final class TrainingSet {
    private final List<Sample> samples;
    private final ClipImageProcessor processor;
    private final boolean frozen;
    private final long seed;
    private final float[][] cache;

    TrainingSet(List<Sample> samples, ClipImageProcessor processor, boolean frozenAugmentation, long seed) {
        this.samples = List.copyOf(samples);
        this.processor = processor;
        this.frozen = frozenAugmentation;
        this.seed = seed;
        this.cache = frozenAugmentation ? new float[samples.size()][] : null;
    }

    int size() {
        return samples.size();
    }

    /** A batch: pixels (B, 3, R, R) row-major, and labels. */
    record Batch(float[] pixels, long[] labels) {}

    /** Endless batches of a fixed size: a seeded shuffle per epoch, the last partial batch dropped. */
    Batches batches(int batchSize, long shuffleSeed) {
        return new Batches(batchSize, shuffleSeed);
    }

    final class Batches {
        private final int batchSize;
        private final SplittableRandom rng;
        private int[] order;
        private int cursor;
        private int epoch = -1;

        private Batches(int batchSize, long shuffleSeed) {
            this.batchSize = batchSize;
            this.rng = new SplittableRandom(shuffleSeed);
        }

        Batch next() {
            if (order == null || cursor + batchSize > order.length) {
                order = shuffled(samples.size());
                cursor = 0;
                epoch++;
            }
            int n = processor.imageLength();
            float[] pixels = new float[batchSize * n];
            long[] labels = new long[batchSize];
            for (int i = 0; i < batchSize; i++) {
                int s = order[cursor++];
                System.arraycopy(augmented(s, epoch), 0, pixels, i * n, n);
                labels[i] = samples.get(s).label();
            }
            return new Batch(pixels, labels);
        }

        private int[] shuffled(int n) {
            int[] o = new int[n];
            for (int i = 0; i < n; i++) {
                o[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
            return o;
        }
    }

    private float[] augmented(int index, int epoch) {
        if (frozen && cache[index] != null) {
            return cache[index];
        }
        Sample s = samples.get(index);
        float[] pixels = processor.train(s.image().get(), Seeds.mix(seed, Seeds.of(s.id()), frozen ? 0 : epoch));
        if (frozen) {
            cache[index] = pixels;
        }
        return pixels;
    }
}
