package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Oxford-IIIT Pet dataset (torchvision OxfordIIITPet, target "category"): samples in the lines
 * of {@code annotations/trainval.txt} and {@code annotations/test.txt}
 * ({@code <image id> <class id 1..37> <species> <breed id>}), label = class id - 1, images
 * {@code images/<image id>.jpg}; a class's name is its image ids' prefix before the last '_', each
 * '_'-part title-cased, joined by ' ' ({@code american_bulldog} -> {@code American Bulldog}).
 */
final class OxfordPet implements MtilReader {
    private static final Map<String, String> FILE = Map.of("train", "annotations/trainval.txt", "test", "annotations/test.txt");

    @Override
    public List<String> requiredFiles() {
        return List.of(FILE.get("train"), FILE.get("test"), "images/");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<MtilSample> samples = new ArrayList<>();
        Map<String, List<String>> classes = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String file = FILE.get(split);
            sources.put(split, folder.uri(file));
            TreeMap<Integer, String> breedOf = new TreeMap<>();
            List<String> lines = folder.lines(file);
            for (int i = 0; i < lines.size(); i++) {
                String[] parts = lines.get(i).strip().split("\\s+");
                if (parts.length < 2 || !parts[1].matches("\\d+") || Integer.parseInt(parts[1]) < 1 || !parts[0].contains("_")) {
                    throw Readers.badLine(folder.uri(file), i, lines.get(i), "'<Breed_name_N> <class id 1..37> <species> <breed id>'");
                }
                int label = Integer.parseInt(parts[1]) - 1;
                String breed = parts[0].substring(0, parts[0].lastIndexOf('_'));
                String earlier = breedOf.putIfAbsent(label, breed);
                if (earlier != null && !earlier.equals(breed)) {
                    throw Readers.badLine(folder.uri(file), i, lines.get(i), "class id " + (label + 1) + " for breed '" + earlier + "' as on earlier lines");
                }
                samples.add(MtilSample.file("images/" + parts[0] + ".jpg", label, split));
            }
            if (!breedOf.isEmpty() && (breedOf.firstKey() != 0 || breedOf.lastKey() != breedOf.size() - 1)) {
                throw new IllegalArgumentException(folder.uri(file) + ": class ids are not 1.." + breedOf.size()
                        + " without gaps (the reference numbers classes by their order, so labels would shift): " + breedOf.keySet());
            }
            classes.put(split, new ArrayList<>(breedOf.values()));
        }
        Readers.sameClasses(classes.get("train"), classes.get("test"), sources.get("train"), sources.get("test"));
        List<String> breeds = classes.get("train");
        List<String> names = breeds.stream().map(OxfordPet::className).toList();
        return new MtilListing(names, breeds, samples, sources, "official trainval / test");
    }

    /** {@code " ".join(part.title() for part in breed.split("_"))}. */
    static String className(String breed) {
        List<String> parts = new ArrayList<>();
        for (String part : breed.split("_", -1)) {
            parts.add(title(part));
        }
        return String.join(" ", parts);
    }

    /** Python's str.title(): a cased letter after an uncased character is upper case, others lower case. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            sb.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            i += Character.charCount(c);
        }
        return sb.toString();
    }
}
