package dev.dacspark.spark.data;

import dev.dacspark.data.IdxFile;
import dev.dacspark.data.TorchRandomSplit;
import dev.dacspark.spark.data.mtil.MtilDataset;
import dev.dacspark.spark.data.mtil.MtilListing;
import dev.dacspark.spark.data.mtil.MtilSample;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The driver side of reading a task's source: lists image folders, reads manifests, IDX files and
 * MTIL datasets as distributed into raw records ({@link RecordProcessor#RAW}), settles the class
 * names and which label each source class gets (never silently: see {@link ClassNames#labelsOf}),
 * and assigns torch-style random splits, which depend on the whole listing's order.
 */
final class Sources {
    private static final Logger LOG = LoggerFactory.getLogger(Sources.class);

    private Sources() {}

    /**
     * A task's raw records and how many, its class names (by label), the label table (label, name, what the
     * source calls the class) and how its split was made, as _task.json records them.
     */
    record Listing(Dataset<Row> records, long count, List<String> classNames, List<Map<String, Object>> labels, String splitRule,
            Map<String, Object> official) {}

    static Listing list(SparkSession spark, PrepConfig.TaskSource task, Configuration hadoop) {
        List<String> given = task.classNames() != null ? task.classNames()
                : task.classNamesFile() != null ? ClassNames.read(task.classNamesFile(), hadoop) : null;
        if (task.source() instanceof PrepConfig.ImageFolder f) {
            return imageFolder(spark, task, f, given, hadoop);
        } else if (task.source() instanceof PrepConfig.Manifest m) {
            return manifest(spark, task, m, given);
        } else if (task.source() instanceof PrepConfig.Mtil m) {
            return mtil(spark, task, m, given, hadoop);
        }
        return idx(spark, task, (PrepConfig.Idx) task.source(), given, hadoop);
    }

    private static Listing imageFolder(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.ImageFolder f,
            List<String> given, Configuration hadoop) {
        DatasetFolder folder = new DatasetFolder(f.root(), hadoop);
        if (!folder.isDirectory("")) {
            throw new IllegalArgumentException("task '" + task.name() + "': image-folder root " + f.root() + " does not exist or is not a directory");
        }
        List<String[]> files = new ArrayList<>(); // relative path parts, sorted
        for (String rel : folder.files("")) {
            String[] parts = rel.split("/");
            if (Arrays.stream(parts).noneMatch(p -> p.startsWith(".") || p.startsWith("_"))) {
                files.add(parts);
            }
        }
        // official when every file in a folder sits under train/ or test/ (files beside them, such as a README, are no samples)
        List<String[]> nested = files.stream().filter(p -> p.length >= 2).toList();
        boolean official = !nested.isEmpty() && nested.stream().allMatch(p -> p[0].equals("train") || p[0].equals("test"));
        int classIndex = official ? 1 : 0;
        TreeSet<String> dirs = new TreeSet<>(DatasetFolder.PYTHON_ORDER);
        List<String> skipped = new ArrayList<>();
        List<String[]> samples = new ArrayList<>();
        for (String[] p : files) {
            if (p.length == classIndex + 2) {
                dirs.add(p[classIndex]);
                samples.add(p);
            } else {
                skipped.add(String.join("/", p));
            }
        }
        List<String> classDirs = new ArrayList<>(dirs);
        if (classDirs.isEmpty()) {
            throw new IllegalArgumentException("task '" + task.name() + "': no class directories with files under " + f.root()
                    + " (expected root/<class>/<image> or root/train|test/<class>/<image>)");
        }
        if (!skipped.isEmpty()) {
            LOG.warn("prep '{}': {} file(s) under {} are not at root/{}<class>/<image> and are no samples, e.g. {}", task.name(),
                    skipped.size(), f.root(), official ? "train|test/" : "", skipped.subList(0, Math.min(5, skipped.size())));
        }
        String where = "task '" + task.name() + "' (" + f.root() + ")";
        List<String> names = given != null ? given : classDirs.stream().map(d -> d.replace('_', ' ')).toList();
        int[] labelOf = given != null ? ClassNames.labelsOf(classDirs, given, where) : identity(classDirs.size());
        Map<String, Integer> labelOfDir = new HashMap<>();
        for (int d = 0; d < classDirs.size(); d++) {
            labelOfDir.put(classDirs.get(d), labelOf[d]);
        }
        // ImageFolder's order (classes sorted, then paths sorted), the order a torch split is drawn over: the files
        // come in path order, and the sort is stable
        samples.sort(java.util.Comparator.comparingInt(p -> labelOfDir.get(p[classIndex])));
        boolean[] torchTrain = !official && task.split() != null && task.split().method().equals("torch")
                ? TorchRandomSplit.inFirstSplit(samples.size(), task.split().trainFraction(), task.split().seed()) : null;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            String[] p = samples.get(i);
            String rel = String.join("/", p);
            String split = official ? p[0] : torchTrain != null ? (torchTrain[i] ? "train" : "test") : null;
            rows.add(raw(rel, folder.uri(rel), null, 0, 0, 0, labelOfDir.get(p[classIndex]), null, split));
        }
        List<String> from = new ArrayList<>(names.size());
        for (int label = 0; label < names.size(); label++) {
            from.add(classDirs.get(indexOf(labelOf, label)));
        }
        return new Listing(frame(spark, rows, 0), rows.size(), names, table(names, from, "folder"),
                official ? "official: root/train and root/test" : splitRule(task), null);
    }

    private static Listing manifest(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Manifest m, List<String> given) {
        Path file = new Path(URI.create(m.path()));
        try {
            if (!file.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(file)) {
                throw new IllegalArgumentException("task '" + task.name() + "': manifest " + m.path() + " does not exist");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("task '" + task.name() + "': cannot reach manifest " + m.path() + ": " + e.getMessage(), e);
        }
        Dataset<Row> df = switch (m.format()) {
            case "csv" -> spark.read().option("header", "true").option("mode", "FAILFAST").csv(m.path());
            case "jsonl" -> spark.read().option("mode", "FAILFAST").json(m.path());
            default -> spark.read().parquet(m.path());
        };
        List<String> columns = Arrays.asList(df.columns());
        if (!columns.contains("path") || !columns.contains("label")) {
            throw new IllegalArgumentException("task '" + task.name() + "': manifest " + m.path() + " needs columns 'path' and 'label' (and optionally 'split'); it has " + columns);
        }
        String base = file.getParent().toUri().toString();
        List<Row> entries = df.select(col("path").cast("string"), col("label").cast("string"),
                columns.contains("split") ? col("split").cast("string") : lit(null).cast("string")).collectAsList();
        boolean numeric = given != null && entries.stream().allMatch(r -> r.isNullAt(1) || r.getString(1).matches("-?\\d+"));
        List<String> names = given;
        if (names == null) {
            TreeSet<String> distinct = new TreeSet<>(DatasetFolder.PYTHON_ORDER);
            entries.forEach(r -> {
                if (!r.isNullAt(1)) {
                    distinct.add(r.getString(1));
                }
            });
            names = new ArrayList<>(distinct);
        }
        if (numeric) {
            ClassNames.checkIndexLabels(entries, names, "task '" + task.name() + "' (manifest " + m.path() + ")");
        }
        boolean[] torchTrain = task.split() != null && task.split().method().equals("torch")
                ? TorchRandomSplit.inFirstSplit(entries.size(), task.split().trainFraction(), task.split().seed()) : null;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Row r = entries.get(i);
            String rel = r.isNullAt(0) ? "" : r.getString(0);
            String uri = rel.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || rel.startsWith("/") ? new Path(rel).toUri().toString()
                    : new Path(new Path(URI.create(base)), rel).toUri().toString();
            String label = r.isNullAt(1) ? null : r.getString(1);
            Integer index = numeric && label != null ? Integer.valueOf(label) : null;
            String split = !r.isNullAt(2) ? r.getString(2) : torchTrain != null ? (torchTrain[i] ? "train" : "test") : null;
            rows.add(raw(rel, uri, null, 0, 0, 0, index, numeric ? null : (label == null ? "<missing>" : label), split));
        }
        List<String> from = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            from.add(numeric ? Integer.toString(i) : names.get(i));
        }
        return new Listing(frame(spark, rows, 0), rows.size(), names, table(names, from, numeric ? "label index" : "label"),
                task.split() == null ? splitRule(task) : splitRule(task) + "; rows whose split column is set keep it", null);
    }

    private static Listing idx(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Idx idx, List<String> given,
            Configuration hadoop) {
        List<Row> rows = new ArrayList<>();
        int maxLabel = -1;
        long bytes = 0;
        for (String split : List.of("train", "test")) {
            String imagesUri = split.equals("train") ? idx.trainImages() : idx.testImages();
            String labelsUri = split.equals("train") ? idx.trainLabels() : idx.testLabels();
            IdxFile.Images images = IdxFile.readImages(open(imagesUri, hadoop), imagesUri);
            byte[] labels = IdxFile.readLabels(open(labelsUri, hadoop), labelsUri);
            if (labels.length != images.count()) {
                throw new IllegalArgumentException("task '" + task.name() + "': " + split + " has " + images.count() + " images but "
                        + labels.length + " labels");
            }
            for (int i = 0; i < images.count(); i++) {
                int label = labels[i] & 0xff;
                maxLabel = Math.max(maxLabel, label);
                rows.add(raw(String.format("%s/%05d", split, i), null, images.image(i), images.cols(), images.rows(), 1, label, null, split));
            }
            bytes += images.pixels().length;
        }
        List<String> names = given;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i <= maxLabel; i++) {
                names.add(Integer.toString(i));
            }
        }
        List<String> from = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            from.add(Integer.toString(i));
        }
        return new Listing(frame(spark, rows, bytes), rows.size(), names, table(names, from, "label index"), "official: the train and test files", null);
    }

    private static Listing mtil(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Mtil m, List<String> given,
            Configuration hadoop) {
        MtilDataset dataset = m.dataset();
        DatasetFolder folder = new DatasetFolder(m.root(), hadoop);
        String where = "task '" + task.name() + "' (MTIL " + dataset.key + " at " + m.root() + ")";
        if (!folder.isDirectory("")) {
            throw new IllegalArgumentException(where + ": no such folder; expected the dataset as distributed (" + dataset.folder
                    + " under the MTIL root); `dac mtil check --root ROOT` checks a copy");
        }
        List<String> missing = dataset.missingFiles(folder);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(where + ": missing " + missing + "; `dac mtil check --root ROOT` checks a copy");
        }
        MtilListing listing;
        try {
            listing = dataset.read(folder);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        int classes = listing.classIds().size();
        List<String> names = given != null ? given : listing.classNames();
        if (names == null) {
            throw new IllegalArgumentException(where + ": the dataset ships no class names; set the task's classnames (the benchmark's list)");
        }
        if (names.size() != classes) {
            throw new IllegalArgumentException(where + ": " + names.size() + " class names for the dataset's " + classes + " classes");
        }
        List<Row> rows = new ArrayList<>(listing.samples().size());
        long bytes = 0;
        for (MtilSample s : listing.samples()) {
            rows.add(raw(s.id(), s.file() == null ? null : folder.uri(s.file()), s.pixels(), s.width(), s.height(), s.channels(), s.label(),
                    null, s.split()));
            bytes += s.pixels() == null ? 0 : s.pixels().length;
        }
        Map<String, Object> official = new LinkedHashMap<>();
        official.put("classes", dataset.classes);
        official.put("train", dataset.train);
        official.put("test", dataset.test);
        long train = listing.count("train");
        long test = listing.count("test");
        if (classes != dataset.classes || train != dataset.train || test != dataset.test) {
            LOG.warn("prep '{}': {} has {} classes, {} train and {} test samples; the official release has {}, {} and {} (results are not "
                    + "comparable with published ones; `dac mtil check` says more)", task.name(), m.root(), classes, train, test,
                    dataset.classes, dataset.train, dataset.test);
        }
        official.put("matches", classes == dataset.classes && train == dataset.train && test == dataset.test);
        return new Listing(frame(spark, rows, bytes), rows.size(), names, table(names, listing.classIds(), dataset.key + " class"),
                listing.splitRule(), official);
    }

    private static String splitRule(PrepConfig.TaskSource task) {
        return task.split() == null ? "official: the source's split column" : "random: " + task.split().describe();
    }

    private static Row raw(String id, String path, byte[] pixels, int width, int height, int channels, Integer label, String className,
            String split) {
        return RowFactory.create(id, path, pixels, pixels == null ? null : width, pixels == null ? null : height,
                pixels == null ? null : channels, label, className, split);
    }

    /** Raw rows as a DataFrame, in slices of at most ~16 MB of inline pixels and 5,000 records. */
    private static Dataset<Row> frame(SparkSession spark, List<Row> rows, long inlineBytes) {
        int slices = (int) Math.max(spark.sparkContext().defaultParallelism(),
                Math.max(rows.size() / 5000, inlineBytes / (16L << 20)) + 1);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, slices), RecordProcessor.RAW);
    }

    /** The label table of _task.json: label, name, and what the source calls the class. */
    private static List<Map<String, Object>> table(List<String> names, List<String> from, String fromKey) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("label", i);
            r.put("name", names.get(i));
            r.put(fromKey.replace(' ', '_'), i < from.size() ? from.get(i) : null);
            rows.add(r);
        }
        return rows;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static int indexOf(int[] a, int value) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        throw new IllegalStateException("label " + value + " has no folder");
    }

    /** Opens a file of any Hadoop file system for reading; failures name the URI. */
    private static InputStream open(String uri, Configuration hadoop) {
        Path path = new Path(URI.create(uri));
        try {
            return path.getFileSystem(hadoop).open(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open " + uri + ": " + e.getMessage(), e);
        }
    }
}
