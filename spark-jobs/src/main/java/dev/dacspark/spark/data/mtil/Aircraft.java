package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FGVC-Aircraft 2013b at variant level (torchvision FGVCAircraft): classes in {@code variants.txt}
 * line order (not sorted; names such as {@code F/A-18}), samples in the lines of
 * {@code images_variant_{train,test}.txt} ({@code <7-char id> <variant>}), images {@code images/<id>.jpg}.
 */
final class Aircraft implements MtilReader {
    @Override
    public List<String> requiredFiles() {
        return List.of("variants.txt", "images_variant_train.txt", "images_variant_test.txt", "images/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> variants = folder.lines("variants.txt").stream().map(String::strip).toList();
        Map<String, Integer> labelOf = new HashMap<>();
        for (int i = 0; i < variants.size(); i++) {
            if (labelOf.putIfAbsent(variants.get(i), i) != null) {
                throw new IllegalArgumentException(folder.uri("variants.txt") + ":" + (i + 1) + ": variant '" + variants.get(i) + "' is listed twice");
            }
        }
        List<MtilSample> samples = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String file = "images_variant_" + split + ".txt";
            sources.put(split, folder.uri(file));
            List<String> lines = folder.lines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                int space = line.indexOf(' ');
                if (space <= 0) {
                    throw Readers.badLine(folder.uri(file), i, line, "'<image id> <variant>'");
                }
                Integer label = labelOf.get(line.substring(space + 1));
                if (label == null) {
                    throw Readers.badLine(folder.uri(file), i, line, "a variant of variants.txt");
                }
                samples.add(MtilSample.file("images/" + line.substring(0, space) + ".jpg", label, split));
            }
        }
        return new MtilListing(Readers.underlineToSpace(variants), variants, samples, sources, "official train / test");
    }
}
