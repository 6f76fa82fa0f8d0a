package dev.dacspark.spark.data.mtil;

import dev.dacspark.data.TorchRandomSplit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the MTIL readers share: the reference's name rule, its random split, parse errors. */
final class Readers {
    private Readers() {}

    /** The reference split's seed and train fraction: random_split(.., [int(0.8 n), ..], manual_seed(42)). */
    static final long SPLIT_SEED = 42;
    static final double TRAIN_FRACTION = 0.8;

    static final String RANDOM_SPLIT_RULE = String.format(Locale.ROOT,
            "torch random_split [int(%.1f n), n - int(%.1f n)], generator seed %d, over the reference's sample order",
            TRAIN_FRACTION, TRAIN_FRACTION, SPLIT_SEED);

    /** The reference's underline_to_space. */
    static String underlineToSpace(String name) {
        return name.replace('_', ' ');
    }

    static List<String> underlineToSpace(List<String> names) {
        return names.stream().map(Readers::underlineToSpace).toList();
    }

    /** Samples in the reference's order (split unset) split as the reference's random_split does. */
    static List<MtilSample> randomSplit(List<MtilSample> ordered) {
        boolean[] train = TorchRandomSplit.inFirstSplit(ordered.size(), TRAIN_FRACTION, SPLIT_SEED);
        List<MtilSample> trainSamples = new ArrayList<>();
        List<MtilSample> testSamples = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            (train[i] ? trainSamples : testSamples).add(ordered.get(i).withSplit(train[i] ? "train" : "test"));
        }
        trainSamples.addAll(testSamples);
        return trainSamples;
    }

    /** A parse error naming the file and the (1-based) line. */
    static IllegalArgumentException badLine(String uri, int index, String line, String expected) {
        return new IllegalArgumentException(uri + ":" + (index + 1) + ": expected " + expected + ", got '" + line + "'");
    }

    /** A reference that computes the class list per split needs the same list from both. */
    static void sameClasses(List<String> train, List<String> test, String trainUri, String testUri) {
        if (!train.equals(test)) {
            List<String> onlyTrain = new ArrayList<>(train);
            onlyTrain.removeAll(test);
            List<String> onlyTest = new ArrayList<>(test);
            onlyTest.removeAll(train);
            throw new IllegalArgumentException("the reference takes the class list from each split file, and they differ ("
                    + trainUri + ": " + train.size() + " classes, " + testUri + ": " + test.size() + "; only in train: "
                    + onlyTrain + ", only in test: " + onlyTest + "): the labels would not agree between train and test");
        }
    }
}
