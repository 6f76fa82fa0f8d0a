package dev.dacspark.spark.data;

import dev.dacspark.data.TorchRandomSplit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The listing of an image-folder source as torchvision's ImageFolder reads one: {@code root/<class>/...} (split by
 * the task's policy) or {@code root/train/<class>/...} and {@code root/test/<class>/...} (official, and then nothing
 * else at the root). Every class folder is a class, an empty one too; every file below a class folder, at any depth
 * and through links ({@code os.walk(followlinks=True)}), is a sample when ImageFolder takes it (an image extension),
 * in ImageFolder's order. Every other file is skipped with its reason and counted ({@link FileAccount}): hidden
 * ones (a path part starting with '.' or '_', which ImageFolder would take), other extensions, files outside the
 * class folders. A file that cannot be read by its path is a record, quarantined with its problem.
 */
final class ImageFolderSource {
    static final String HIDDEN = "hidden";
    static final String NOT_IN_A_CLASS_FOLDER = "not in a class folder";

    /** A file that is a record: its label (null outside the class folders) and official split (or null). */
    private record Sample(DatasetFolder.Walked file, Integer label, String split) {}

    private ImageFolderSource() {}

    static Sources.Listing list(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.ImageFolder f, List<String> given,
            Configuration hadoop) {
        DatasetFolder folder = new DatasetFolder(f.root(), hadoop);
        if (!folder.isDirectory("")) {
            throw new IllegalArgumentException("task '" + task.name() + "': image-folder root " + f.root() + " does not exist or is not a directory");
        }
        String where = "task '" + task.name() + "' (" + f.root() + ")";
        List<String> top = visible(folder.directories(""));
        boolean official = official(top, where);
        List<String> classDirs = classDirs(folder, top, official, where);
        List<String> names = given != null ? given : classDirs.stream().map(d -> d.replace('_', ' ')).toList();
        int[] labelOf = given != null ? ClassNames.labelsOf(classDirs, given, where) : Sources.identity(classDirs.size());
        List<DatasetFolder.Walked> walked = folder.walk("");
        FileAccount.Skips skips = new FileAccount.Skips();
        List<Sample> samples = samples(walked, official, classDirs, labelOf, skips);
        boolean[] torchTrain = !official && task.split() != null && task.split().method().equals("torch")
                ? TorchRandomSplit.inFirstSplit(samples.size(), task.split().trainFraction(), task.split().seed()) : null;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample x = samples.get(i);
            String split = torchTrain != null ? (torchTrain[i] ? "train" : "test") : x.split();
            rows.add(RecordProcessor.raw(x.file().rel(), folder.uri(x.file().rel()), null, 0, 0, 0, x.label(), null, split, x.file().problem()));
        }
        List<String> from = new ArrayList<>(names.size());
        for (int label = 0; label < names.size(); label++) {
            from.add(classDirs.get(Sources.indexOf(labelOf, label)));
        }
        return new Sources.Listing(Sources.frame(spark, rows, 0), skips.account(walked.size(), rows.size()), names,
                Sources.table(names, from, "folder"), official ? "official: root/train and root/test" : Sources.splitRule(task), null);
    }

    /**
     * The walked files that are records, in ImageFolder's order (classes by label, then each class's files by folder
     * and name: the order a torch split is drawn over; records of no class, problems outside the class folders, last);
     * the others go to {@code skips} with their reason.
     */
    private static List<Sample> samples(List<DatasetFolder.Walked> walked, boolean official, List<String> classDirs, int[] labelOf,
            FileAccount.Skips skips) {
        Map<String, Integer> labelOfDir = new HashMap<>();
        for (int d = 0; d < classDirs.size(); d++) {
            labelOfDir.put(classDirs.get(d), labelOf[d]);
        }
        int classPart = official ? 1 : 0;
        List<Sample> samples = new ArrayList<>();
        for (DatasetFolder.Walked w : walked) {
            String[] parts = w.rel().split("/");
            String reason = skipReason(w, parts, classPart);
            if (reason == null) {
                samples.add(new Sample(w, parts.length < classPart + 2 ? null : labelOfDir.get(parts[classPart]),
                        official ? officialSplit(parts) : null));
            } else {
                skips.add(reason, w.rel());
            }
        }
        samples.sort(Comparator.comparing((Sample x) -> x.label() == null ? Integer.MAX_VALUE : x.label())
                .thenComparing(x -> x.file().rel(), TorchImageFolder.ORDER));
        return samples;
    }

    /** Whether the root is laid out train/ and test/ (official) rather than one folder per class; anything in between fails. */
    private static boolean official(List<String> top, String where) {
        boolean train = top.contains("train");
        boolean test = top.contains("test");
        if (!train && !test) {
            return false;
        }
        if (train && test && top.size() == 2) {
            return true;
        }
        throw new IllegalArgumentException(where + ": the root's folders are " + top + "; for the official split it holds only train/ "
                + "and test/ (root/train|test/<class>/<image>), for a split by the task's policy only class folders (root/<class>/<image>)");
    }

    /** The class folders, in Python's order: the root's, or those of train/ and test/ together. */
    private static List<String> classDirs(DatasetFolder folder, List<String> top, boolean official, String where) {
        TreeSet<String> dirs = new TreeSet<>(DatasetFolder.PYTHON_ORDER);
        if (official) {
            dirs.addAll(visible(folder.directories("train")));
            dirs.addAll(visible(folder.directories("test")));
        } else {
            dirs.addAll(top);
        }
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException(where + ": no class folders (expected root/<class>/<image> or root/train|test/<class>/<image>)");
        }
        return new ArrayList<>(dirs);
    }

    /** Why a walked file is no record, or null when it is one (a sample, or a problem to quarantine). */
    private static String skipReason(DatasetFolder.Walked w, String[] parts, int classPart) {
        if (Arrays.stream(parts).anyMatch(ImageFolderSource::hidden)) {
            return HIDDEN;
        }
        if (w.problem() != null) {
            return null;
        }
        if (parts.length < classPart + 2) {
            return NOT_IN_A_CLASS_FOLDER;
        }
        String extension = TorchImageFolder.extension(w.rel());
        return TorchImageFolder.isImage(w.rel()) ? null : "not an image extension (" + (extension.isEmpty() ? "none" : extension) + ")";
    }

    /** The split folder a file sits in, or null for a problem file outside train/ and test/. */
    private static String officialSplit(String[] parts) {
        return parts.length > 1 && (parts[0].equals("train") || parts[0].equals("test")) ? parts[0] : null;
    }

    private static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    private static List<String> visible(List<String> names) {
        return names.stream().filter(n -> !hidden(n)).toList();
    }
}
