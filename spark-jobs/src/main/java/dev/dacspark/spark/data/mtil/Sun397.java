package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SUN397 (torchvision SUN397): classes the lines of {@code ClassName.txt} without their leading
 * {@code /x/} ({@code abbey}, {@code apartment_building/outdoor}); images {@code sun_*.jpg} anywhere
 * below the folder, their class the path between the letter folder and the file. The reference lists
 * them with an unsorted recursive glob (file-system order, not reproducible); here they are taken in
 * sorted path order, then split by the reference's random 80/20 split.
 */
final class Sun397 implements MtilReader {
    static final String SAMPLE_ORDER = "sorted path order (the reference's rglob order is the file system's)";

    @Override
    public List<String> requiredFiles() {
        return List.of("ClassName.txt");
    }

    @Override
    public boolean listsItsFiles() {
        return true;
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> lines = folder.lines("ClassName.txt");
        List<String> classes = new ArrayList<>();
        Map<String, Integer> labelOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.matches("/[a-z]/.+")) {
                throw Readers.badLine(folder.uri("ClassName.txt"), i, line, "'/<letter>/<class path>'");
            }
            String c = line.substring(3).strip(); // the reference's c[3:].strip()
            labelOf.put(c, classes.size());
            classes.add(c);
        }
        List<MtilSample> ordered = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String f : folder.files("")) {
            String[] parts = f.split("/");
            String name = parts[parts.length - 1];
            if (!name.startsWith("sun_") || !name.endsWith(".jpg")) {
                continue; // the reference's rglob("sun_*.jpg")
            }
            Integer label = parts.length >= 3 ? labelOf.get(String.join("/", java.util.Arrays.copyOfRange(parts, 1, parts.length - 1))) : null;
            if (label == null) {
                unknown.add(f);
                continue;
            }
            ordered.add(MtilSample.file(f, label, null));
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(unknown.size() + " image(s) under " + folder.uri("") + " are in no class of ClassName.txt "
                    + "(the reference fails on them too), e.g. " + unknown.subList(0, Math.min(5, unknown.size())));
        }
        return new MtilListing(Readers.underlineToSpace(classes), classes, Readers.randomSplit(ordered),
                Map.of("train", folder.uri(""), "test", folder.uri("")), Readers.RANDOM_SPLIT_RULE + "; samples in " + SAMPLE_ORDER);
    }
}
