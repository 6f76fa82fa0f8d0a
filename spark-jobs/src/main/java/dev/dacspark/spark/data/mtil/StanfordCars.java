package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stanford Cars (torchvision StanfordCars): {@code devkit/cars_meta.mat} ({@code class_names}, a
 * cell array; names contain '/'), {@code devkit/cars_train_annos.mat} and
 * {@code cars_test_annos_withlabels.mat} (struct arrays {@code annotations} with {@code fname} and a
 * 1-based {@code class}), MATLAB v5 files; samples in annotation order, images
 * {@code cars_train/<fname>} and {@code cars_test/<fname>}.
 */
final class StanfordCars implements MtilReader {
    private static final Map<String, String> ANNOTATIONS = Map.of("train", "devkit/cars_train_annos.mat",
            "test", "cars_test_annos_withlabels.mat");

    @Override
    public List<String> requiredFiles() {
        return List.of("devkit/cars_meta.mat", ANNOTATIONS.get("train"), ANNOTATIONS.get("test"), "cars_train/", "cars_test/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> names = MatFile.parse(folder.read("devkit/cars_meta.mat"), folder.uri("devkit/cars_meta.mat")).strings("class_names");
        List<MtilSample> samples = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String file = ANNOTATIONS.get(split);
            String uri = folder.uri(file);
            sources.put(split, uri);
            List<Map<String, Object>> annotations = MatFile.parse(folder.read(file), uri).structs("annotations");
            for (int i = 0; i < annotations.size(); i++) {
                Map<String, Object> a = annotations.get(i);
                if (!(a.get("fname") instanceof String fname) || !(a.get("class") instanceof Integer c) || c < 1 || c > names.size()) {
                    throw new IllegalArgumentException(uri + ": annotations(" + (i + 1) + ") needs a char 'fname' and a 'class' in 1.."
                            + names.size() + " (cars_meta.mat's classes); it has " + a);
                }
                samples.add(MtilSample.file("cars_" + split + "/" + fname, c - 1, split));
            }
        }
        return new MtilListing(Readers.underlineToSpace(names), names, samples, sources, "official train / test");
    }
}
