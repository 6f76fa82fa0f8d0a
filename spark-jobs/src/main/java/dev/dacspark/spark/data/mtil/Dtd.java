package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The Describable Textures Dataset, partition 1 (torchvision DTD): samples in the lines of
 * {@code labels/train1.txt} and {@code labels/test1.txt} ({@code <class>/<file>.jpg}), classes the
 * sorted set of the classes of the split file, images under {@code images/}.
 */
final class Dtd implements MtilReader {
    @Override
    public List<String> requiredFiles() {
        return List.of("labels/train1.txt", "labels/test1.txt", "images/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        Map<String, List<String[]>> entries = new LinkedHashMap<>();
        Map<String, List<String>> classes = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String file = "labels/" + split + "1.txt";
            sources.put(split, folder.uri(file));
            List<String> lines = folder.lines(file);
            List<String[]> parsed = new ArrayList<>();
            TreeSet<String> set = new TreeSet<>(DatasetFolder.PYTHON_ORDER);
            for (int i = 0; i < lines.size(); i++) {
                String[] parts = lines.get(i).strip().split("/");
                if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    throw Readers.badLine(folder.uri(file), i, lines.get(i), "'<class>/<file>.jpg'");
                }
                parsed.add(parts);
                set.add(parts[0]);
            }
            entries.put(split, parsed);
            classes.put(split, new ArrayList<>(set));
        }
        Readers.sameClasses(classes.get("train"), classes.get("test"), sources.get("train"), sources.get("test"));
        List<String> names = classes.get("train");
        List<MtilSample> samples = new ArrayList<>();
        entries.forEach((split, parsed) -> {
            for (String[] p : parsed) {
                samples.add(MtilSample.file("images/" + p[0] + "/" + p[1], names.indexOf(p[0]), split));
            }
        });
        return new MtilListing(Readers.underlineToSpace(names), names, samples, sources, "official train1 / test1 (partition 1)");
    }
}
