package dev.dacspark.spark.data;

import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a task's decode job counted: good records per split and label, bad records, the content hash of the good
 * ones; and what those counts leave short: classes without images in a split, classes with fewer training images
 * than the few-shot k.
 */
final class TaskCounts {
    static final List<String> SPLITS = List.of("train", "test");
    /** Classes an error or a warning names before "and N more". */
    private static final int NAMED = 10;

    /** A class that a split has no image of (in _task.json as its components). */
    record Gap(int label, String name, List<String> splits) {
        @Override
        public String toString() {
            return "'" + name + "' (label " + label + ") has no " + String.join(" and no ", splits) + " images";
        }
    }

    /** A class with fewer training images than the few-shot k, which then takes all of them (in _task.json as its components). */
    record Shortfall(int label, String name, long train) {
        @Override
        public String toString() {
            return "'" + name + "' (label " + label + "): " + train;
        }
    }

    final Map<String, long[]> perClass = new TreeMap<>();
    final long bad;
    final long good;
    final long hash;

    /** From the decode job's groups: split, label, good, count, xor of content hashes. */
    TaskCounts(List<Row> groups, int classes) {
        long badSum = 0;
        long goodSum = 0;
        long xor = 0;
        for (Row r : groups) {
            if (!r.getBoolean(2)) {
                badSum += r.getLong(3);
                continue;
            }
            perClass.computeIfAbsent(r.getString(0), s -> new long[classes])[r.getInt(1)] = r.getLong(3);
            goodSum += r.getLong(3);
            xor ^= r.isNullAt(4) ? 0L : r.getLong(4);
        }
        bad = badSum;
        good = goodSum;
        hash = xor;
        SPLITS.forEach(split -> perClass.computeIfAbsent(split, s -> new long[classes]));
    }

    /** The classes without a good image in train or test (or either), by label. */
    List<Gap> gaps(List<String> classNames) {
        List<Gap> gaps = new ArrayList<>();
        for (int label = 0; label < classNames.size(); label++) {
            List<String> missing = new ArrayList<>();
            for (String split : SPLITS) {
                if (perClass.get(split)[label] == 0) {
                    missing.add(split);
                }
            }
            if (!missing.isEmpty()) {
                gaps.add(new Gap(label, classNames.get(label), missing));
            }
        }
        return gaps;
    }

    /** The classes with fewer than {@code shots} good training images (none when shots is 0). */
    List<Shortfall> shortOf(int shots, List<String> classNames) {
        List<Shortfall> out = new ArrayList<>();
        long[] train = perClass.get("train");
        for (int label = 0; shots > 0 && label < classNames.size(); label++) {
            if (train[label] < shots) {
                out.add(new Shortfall(label, classNames.get(label), train[label]));
            }
        }
        return out;
    }

    /** The first few of a list, "; "-separated, with how many more. */
    static String some(List<?> items) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(NAMED, items.size()); i++) {
            sb.append(i == 0 ? "" : "; ").append(items.get(i));
        }
        return sb.append(items.size() > NAMED ? "; and " + (items.size() - NAMED) + " more" : "").toString();
    }
}
