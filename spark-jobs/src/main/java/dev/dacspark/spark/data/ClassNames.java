package dev.dacspark.spark.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Class names given by the user, and how source classes get their labels: never by a silent
 * positional mapping when the names look like the source's own class names.
 */
final class ClassNames {
    private ClassNames() {}

    /** A class-name file: one name per line, by label; blank lines and lines starting with '#' are skipped. */
    static List<String> read(String uri, Configuration hadoop) {
        Path path = new Path(URI.create(uri));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(path.getFileSystem(hadoop).open(path), StandardCharsets.UTF_8))) {
            List<String> names = new ArrayList<>();
            String line;
            while ((line = r.readLine()) != null) {
                String n = line.strip();
                if (!n.isEmpty() && !n.startsWith("#")) {
                    names.add(n);
                }
            }
            if (names.isEmpty()) {
                throw new IllegalArgumentException("class-name file " + uri + " holds no names");
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class-name file " + uri + ": " + e.getMessage(), e);
        }
    }

    /** A name as compared with a folder name: lower case, '_' and '-' as spaces, runs of spaces as one. */
    static String normalise(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', ' ').replace('-', ' ').strip().replaceAll("\\s+", " ");
    }

    /**
     * The label of each class folder (sorted) given the user's names (by label). When the names are
     * the folders' names (normalised), each folder gets its name's label, whatever the order of the
     * list. Otherwise folders take the labels in their sorted order, unless a name is the name of a
     * folder at another position (the names look like folder names in another order): then nothing
     * can be trusted and the call fails with the folder -> label -> name table.
     */
    static int[] labelsOf(List<String> folders, List<String> names, String where) {
        int[] byOrder = new int[folders.size()];
        for (int f = 0; f < folders.size(); f++) {
            byOrder[f] = f;
        }
        if (names.size() != folders.size()) {
            throw new IllegalArgumentException(where + ": " + names.size() + " class names for " + folders.size() + " class folders\n"
                    + table(folders, byOrder, names));
        }
        Map<String, Integer> labelOfName = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (labelOfName.put(normalise(names.get(i)), i) != null) {
                throw new IllegalArgumentException(where + ": the class name '" + names.get(i) + "' is given twice (as compared with "
                        + "folder names: case, '_' and '-' aside)");
            }
        }
        int[] byName = new int[folders.size()];
        Set<Integer> taken = new HashSet<>();
        List<String> elsewhere = new ArrayList<>();
        for (int f = 0; f < folders.size(); f++) {
            Integer label = labelOfName.get(normalise(folders.get(f)));
            byName[f] = label == null ? -1 : label;
            if (label != null) {
                taken.add(label);
                if (label != f) {
                    elsewhere.add("'" + folders.get(f) + "' is name " + label + " but folder " + f);
                }
            }
        }
        if (taken.size() == folders.size()) {
            return byName;
        }
        if (!elsewhere.isEmpty()) {
            throw new IllegalArgumentException(where + ": the class names look like the folder names in another order ("
                    + String.join(", ", elsewhere.subList(0, Math.min(3, elsewhere.size()))) + (elsewhere.size() > 3 ? ", ..." : "")
                    + ") but do not name every folder, so labels by position would be wrong. Name every class by its folder (any "
                    + "order, case, '_' or '-'), or list names that describe the classes in the folders' sorted order. By position "
                    + "they would be:\n" + table(folders, byOrder, names));
        }
        return byOrder;
    }

    /**
     * Index labels of a manifest whose image paths sit in one folder per label that the names
     * name: each label's folder must be its own name's, or the labels and the names disagree.
     */
    static void checkIndexLabels(List<ManifestRows.Entry> entries, List<String> names, String where) {
        Map<Integer, Set<String>> folders = new TreeMap<>();
        for (ManifestRows.Entry e : entries) {
            if (e.path() == null || e.label() == null) {
                continue;
            }
            String[] parts = e.path().split("/");
            folders.computeIfAbsent(Integer.valueOf(e.label()), k -> new TreeSet<>())
                    .add(parts.length >= 2 ? parts[parts.length - 2] : "");
        }
        Set<String> known = new HashSet<>();
        names.forEach(n -> known.add(normalise(n)));
        boolean foldersAreNames = !folders.isEmpty() && folders.values().stream()
                .allMatch(s -> s.size() == 1 && known.contains(normalise(s.iterator().next())));
        if (!foldersAreNames) {
            return; // the paths say nothing of the classes
        }
        List<String> wrong = new ArrayList<>();
        folders.forEach((label, s) -> {
            String folder = s.iterator().next();
            if (label < 0 || label >= names.size() || !normalise(names.get(label)).equals(normalise(folder))) {
                wrong.add("label " + label + " holds images of folder '" + folder + "' but is named '"
                        + (label >= 0 && label < names.size() ? names.get(label) : "(no such label)") + "'");
            }
        });
        if (!wrong.isEmpty()) {
            throw new IllegalArgumentException(where + ": the class names are the image folders' names, in another order than the "
                    + "labels: " + String.join("; ", wrong) + ". List the names by label index.");
        }
    }

    /** folder -> label -> name, one line each. */
    private static String table(List<String> folders, int[] labels, List<String> names) {
        StringBuilder sb = new StringBuilder("  folder -> label -> name\n");
        for (int f = 0; f < folders.size(); f++) {
            int label = labels == null ? f : labels[f];
            sb.append("  ").append(folders.get(f)).append(" -> ").append(label).append(" -> ")
                    .append(label < names.size() ? names.get(label) : "(none)").append('\n');
        }
        return sb.toString().stripTrailing();
    }
}
