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
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

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
     * A task's raw records and how the listing accounts for what it listed, its class names (by label), the label table
     * (label, name, what the source calls the class) and how its split was made, as _task.json records them.
     */
    record Listing(Dataset<Row> records, FileAccount account, List<String> classNames, List<Map<String, Object>> labels, String splitRule,
            Map<String, Object> official) {}

    static Listing list(SparkSession spark, PrepConfig.TaskSource task, Configuration hadoop) {
        List<String> given = task.classNames() != null ? task.classNames()
                : task.classNamesFile() != null ? ClassNames.read(task.classNamesFile(), hadoop) : null;
        if (task.source() instanceof PrepConfig.ImageFolder f) {
            return ImageFolderSource.list(spark, task, f, given, hadoop);
        } else if (task.source() instanceof PrepConfig.Manifest m) {
            return manifest(spark, task, m, given);
        } else if (task.source() instanceof PrepConfig.Mtil m) {
            return mtil(spark, task, m, given, hadoop);
        }
        return idx(spark, task, (PrepConfig.Idx) task.source(), given, hadoop);
    }

    private static Listing manifest(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Manifest m, List<String> given) {
        List<ManifestRows.Entry> entries = ManifestRows.read(spark, task.name(), m);
        boolean numeric = given != null && entries.stream().allMatch(e -> e.label() == null || e.label().matches("-?\\d+"));
        List<String> names = given;
        if (names == null) {
            TreeSet<String> distinct = new TreeSet<>(DatasetFolder.PYTHON_ORDER);
            entries.forEach(e -> {
                if (e.label() != null) {
                    distinct.add(e.label());
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
            ManifestRows.Entry e = entries.get(i);
            Integer index = numeric && e.label() != null ? Integer.valueOf(e.label()) : null;
            String split = e.split() != null ? e.split() : torchTrain != null ? (torchTrain[i] ? "train" : "test") : null;
            rows.add(RecordProcessor.raw(e.uri() != null ? e.path() : e.where(), e.uri(), null, 0, 0, 0, index,
                    numeric ? null : (e.label() == null ? "<missing>" : e.label()), split, e.problem()));
        }
        List<String> from = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            from.add(numeric ? Integer.toString(i) : names.get(i));
        }
        return new Listing(frame(spark, rows, 0), FileAccount.ofRecords(rows.size()), names, table(names, from, numeric ? "label index" : "label"),
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
                rows.add(RecordProcessor.raw(String.format("%s/%05d", split, i), null, images.image(i), images.cols(), images.rows(), 1, label,
                        null, split, null));
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
        return new Listing(frame(spark, rows, bytes), FileAccount.ofRecords(rows.size()), names, table(names, from, "label index"),
                "official: the train and test files", null);
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
            rows.add(RecordProcessor.raw(s.id(), s.file() == null ? null : folder.uri(s.file()), s.pixels(), s.width(), s.height(), s.channels(),
                    s.label(), null, s.split(), null));
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
        return new Listing(frame(spark, rows, bytes), FileAccount.ofRecords(rows.size()), names,
                table(names, listing.classIds(), dataset.key + " class"),
                listing.splitRule(), official);
    }

    static String splitRule(PrepConfig.TaskSource task) {
        return task.split() == null ? "official: the source's split column" : "random: " + task.split().describe();
    }

    /** Raw rows as a DataFrame, in slices of at most ~16 MB of inline pixels and 5,000 records. */
    static Dataset<Row> frame(SparkSession spark, List<Row> rows, long inlineBytes) {
        int slices = (int) Math.max(spark.sparkContext().defaultParallelism(),
                Math.max(rows.size() / 5000, inlineBytes / (16L << 20)) + 1);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, slices), RecordProcessor.RAW);
    }

    /** The label table of _task.json: label, name, and what the source calls the class. */
    static List<Map<String, Object>> table(List<String> names, List<String> from, String fromKey) {
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

    static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    static int indexOf(int[] a, int value) {
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
