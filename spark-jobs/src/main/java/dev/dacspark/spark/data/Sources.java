package dev.dacspark.spark.data;

import dev.dacspark.data.IdxFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The driver side of reading a task's source: lists image folders and reads manifests and IDX
 * files into raw records ({@link RecordProcessor#RAW}), and settles the class names.
 */
final class Sources {
    private Sources() {}

    /** A task's raw records and its class names (by label). */
    record Listing(Dataset<Row> records, List<String> classNames) {}

    static Listing list(SparkSession spark, PrepConfig.TaskSource task, Configuration hadoop) {
        List<String> given = task.classNames() != null ? task.classNames()
                : task.classNamesFile() != null ? ClassNames.read(task.classNamesFile(), hadoop) : null;
        if (task.source() instanceof PrepConfig.ImageFolder f) {
            return imageFolder(spark, task, f, given, hadoop);
        } else if (task.source() instanceof PrepConfig.Manifest m) {
            return manifest(spark, task, m, given, hadoop);
        }
        return idx(spark, task, (PrepConfig.Idx) task.source(), given, hadoop);
    }

    private static Listing imageFolder(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.ImageFolder f,
            List<String> given, Configuration hadoop) {
        Path root = new Path(URI.create(f.root()));
        List<String[]> files = new ArrayList<>(); // relative path parts
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
                throw new IllegalArgumentException("task '" + task.name() + "': image-folder root " + f.root() + " does not exist or is not a directory");
            }
            String rootPath = fs.getFileStatus(root).getPath().toUri().getPath();
            for (FileStatus st : listFilesRecursively(fs, root)) {
                String rel = st.getPath().toUri().getPath().substring(rootPath.length()).replaceFirst("^/", "");
                String[] parts = rel.split("/");
                if (Arrays.stream(parts).noneMatch(p -> p.startsWith(".") || p.startsWith("_"))) {
                    files.add(parts);
                }
            }
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("task '" + task.name() + "': image-folder root " + f.root() + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("task '" + task.name() + "': cannot list " + f.root() + ": " + e.getMessage(), e);
        }
        boolean official = !files.isEmpty() && files.stream().allMatch(p -> p.length >= 3 && (p[0].equals("train") || p[0].equals("test")));
        int classIndex = official ? 1 : 0;
        TreeSet<String> dirs = new TreeSet<>();
        List<Row> rows = new ArrayList<>();
        for (String[] p : files) {
            if (p.length != classIndex + 2) {
                continue; // files beside the class directories are not samples
            }
            dirs.add(p[classIndex]);
        }
        List<String> classDirs = new ArrayList<>(dirs);
        if (classDirs.isEmpty()) {
            throw new IllegalArgumentException("task '" + task.name() + "': no class directories with files under " + f.root()
                    + " (expected root/<class>/<image> or root/train|test/<class>/<image>)");
        }
        List<String> names = given != null ? given : classDirs.stream().map(d -> d.replace('_', ' ')).toList();
        if (names.size() != classDirs.size()) {
            throw new IllegalArgumentException("task '" + task.name() + "': " + names.size() + " class names for " + classDirs.size()
                    + " class directories under " + f.root() + " " + classDirs);
        }
        for (String[] p : files) {
            if (p.length != classIndex + 2) {
                continue;
            }
            String rel = String.join("/", p);
            rows.add(RowFactory.create(rel, new Path(root, rel).toUri().toString(), null, null, null,
                    classDirs.indexOf(p[classIndex]), null, official ? p[0] : null));
        }
        return new Listing(spark.createDataFrame(rows, RecordProcessor.RAW), names);
    }

    private static Listing manifest(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Manifest m, List<String> given,
            Configuration hadoop) {
        Path file = new Path(URI.create(m.path()));
        try {
            if (!file.getFileSystem(hadoop).exists(file)) {
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
        boolean numeric = given == null ? false : entries.stream().allMatch(r -> r.isNullAt(1) || r.getString(1).matches("-?\\d+"));
        List<String> names = given;
        if (names == null) {
            TreeSet<String> distinct = new TreeSet<>();
            entries.forEach(r -> {
                if (!r.isNullAt(1)) {
                    distinct.add(r.getString(1));
                }
            });
            names = new ArrayList<>(distinct);
        }
        List<Row> rows = new ArrayList<>();
        for (Row r : entries) {
            String rel = r.isNullAt(0) ? "" : r.getString(0);
            String uri = rel.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || rel.startsWith("/") ? new Path(rel).toUri().toString()
                    : new Path(new Path(URI.create(base)), rel).toUri().toString();
            String label = r.isNullAt(1) ? null : r.getString(1);
            Integer index = numeric && label != null ? Integer.valueOf(label) : null;
            rows.add(RowFactory.create(rel, uri, null, null, null, index, numeric ? null : (label == null ? "<missing>" : label),
                    r.isNullAt(2) ? null : r.getString(2)));
        }
        return new Listing(spark.createDataFrame(rows, RecordProcessor.RAW), names);
    }

    private static Listing idx(SparkSession spark, PrepConfig.TaskSource task, PrepConfig.Idx idx, List<String> given,
            Configuration hadoop) {
        List<Row> rows = new ArrayList<>();
        int maxLabel = -1;
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
                rows.add(RowFactory.create(String.format("%s/%05d", split, i), null, images.image(i), images.cols(), images.rows(),
                        label, null, split));
            }
        }
        List<String> names = given;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i <= maxLabel; i++) {
                names.add(Integer.toString(i));
            }
        }
        return new Listing(spark.createDataFrame(rows, RecordProcessor.RAW).repartition(Math.max(2, rows.size() / 5000)),
                names);
    }

    /**
     * The files under a directory, depth first in listing order, as {@code fs.listFiles(root, true)} gives them. On the
     * local file system that call costs a forked {@code ls} per file (its LocatedFileStatus reads each file's
     * permissions, which RawLocalFileSystem gets from a subprocess without Hadoop's native library): 24 s for 3,000
     * files here. Plain listStatus does not read them.
     */
    private static List<FileStatus> listFilesRecursively(FileSystem fs, Path root) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        if (!(fs instanceof LocalFileSystem)) { // object stores list a whole tree in a few paged requests
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                files.add(it.next());
            }
            return files;
        }
        ArrayDeque<Iterator<FileStatus>> stack = new ArrayDeque<>();
        stack.push(Arrays.asList(fs.listStatus(root)).iterator());
        while (!stack.isEmpty()) {
            if (!stack.peek().hasNext()) {
                stack.pop();
            } else {
                FileStatus st = stack.peek().next();
                if (st.isFile()) {
                    files.add(st);
                } else {
                    stack.push(Arrays.asList(fs.listStatus(st.getPath())).iterator());
                }
            }
        }
        return files;
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
