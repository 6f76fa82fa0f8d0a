package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Oxford Flowers-102 (torchvision Flowers102): {@code imagelabels.mat} ({@code labels}, 1-based, by
 * image id) and {@code setid.mat} ({@code trnid}, {@code valid}, {@code tstid}: 1-based image ids),
 * MATLAB v5 files; samples the ids of {@code trnid} / {@code tstid} in array order, images
 * {@code jpg/image_<id, 5 digits>.jpg}, label = labels[id] - 1. The dataset ships no class names:
 * the benchmark's hard-coded list names them.
 */
final class Flowers102 implements MtilReader {
    private static final Map<String, String> SET = Map.of("train", "trnid", "test", "tstid");

    @Override
    public List<String> requiredFiles() {
        return List.of("imagelabels.mat", "setid.mat", "jpg/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        int[] labels = MatFile.parse(folder.read("imagelabels.mat"), folder.uri("imagelabels.mat")).ints("labels");
        MatFile setid = MatFile.parse(folder.read("setid.mat"), folder.uri("setid.mat"));
        int classes = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 1) {
                throw new IllegalArgumentException(folder.uri("imagelabels.mat") + ": labels(" + (i + 1) + ") = " + labels[i] + ", not a class 1..102");
            }
            classes = Math.max(classes, labels[i]);
        }
        List<MtilSample> samples = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String variable = SET.get(split);
            sources.put(split, folder.uri("setid.mat") + " '" + variable + "'");
            for (int id : setid.ints(variable)) {
                if (id < 1 || id > labels.length) {
                    throw new IllegalArgumentException(folder.uri("setid.mat") + ": " + variable + " holds image id " + id
                            + ", outside imagelabels.mat's 1.." + labels.length);
                }
                samples.add(MtilSample.file(String.format("jpg/image_%05d.jpg", id), labels[id - 1] - 1, split));
            }
        }
        List<String> ids = new ArrayList<>();
        for (int c = 1; c <= classes; c++) {
            ids.add("label " + c);
        }
        return new MtilListing(null, ids, samples, sources, "official trnid / tstid (valid not used)");
    }
}
