package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Caltech 101 (torchvision Caltech101, target "category"): categories are the folders of
 * {@code 101_ObjectCategories} in sorted order (upper case first) without {@code BACKGROUND_Google};
 * within one, {@code image_0001.jpg .. image_<n>.jpg} where n is the number of entries in its
 * folder; the reference's random 80/20 split.
 */
final class Caltech101 implements MtilReader {
    static final String BACKGROUND = "BACKGROUND_Google";

    @Override
    public List<String> requiredFiles() {
        return List.of(); // the folder itself
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> categories = new ArrayList<>(folder.entries(""));
        if (!categories.remove(BACKGROUND)) {
            // the reference's categories.remove() fails on a copy without it
            throw new IllegalArgumentException(folder.uri("") + " has no " + BACKGROUND + " folder: is this 101_ObjectCategories as distributed?");
        }
        List<MtilSample> ordered = new ArrayList<>();
        for (int label = 0; label < categories.size(); label++) {
            String c = categories.get(label);
            if (!folder.isDirectory(c)) {
                throw new IllegalArgumentException(folder.uri(c) + " is not a folder, and the reference takes every entry of "
                        + folder.uri("") + " for a category: remove it");
            }
            int n = folder.entries(c).size();
            for (int i = 1; i <= n; i++) {
                ordered.add(MtilSample.file(String.format("%s/image_%04d.jpg", c, i), label, null));
            }
        }
        return new MtilListing(Readers.underlineToSpace(categories), categories, Readers.randomSplit(ordered),
                Map.of("train", folder.uri(""), "test", folder.uri("")), Readers.RANDOM_SPLIT_RULE);
    }
}
