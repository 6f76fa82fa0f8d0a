package dev.dacspark.spark.data;

import dev.dacspark.spark.data.mtil.MtilDataset;
import dev.dacspark.spark.storage.Storage;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The prep job's settings ({@code dac.prep}), typed. Errors name the key and where it was set.
 * Relative local paths are resolved against the config file's directory; URIs (s3a://, hdfs://,
 * file://) are taken as they are.
 */
public record PrepConfig(String output, long seed, int workers, int resolution, int trainShortSide, double maxBadFraction,
        long maxPixels, boolean allowEmptyClasses, int progressIntervalSeconds, List<TaskSource> tasks) implements Serializable {

    /** Where a task's images come from. */
    public sealed interface Source extends Serializable permits ImageFolder, Manifest, Idx, Mtil {}

    /** root/<class>/* (split by policy), or root/train/<class>/* and root/test/<class>/* (official). */
    public record ImageFolder(String root) implements Source {}

    /** A CSV, JSON Lines or Parquet file of (path, label[, split]); relative paths are relative to it. */
    public record Manifest(String path, String format) implements Source {}

    /** MNIST-style IDX files (gzip or not). */
    public record Idx(String trainImages, String trainLabels, String testImages, String testLabels) implements Source {}

    /** An MTIL dataset in its folder as distributed ({@link MtilDataset}): its own classes, order and split. */
    public record Mtil(MtilDataset dataset, String root) implements Source {}

    /**
     * A random train / test split of a source without an official one: {@code hash} (each sample by a
     * seeded hash of its id: stable when files are added) or {@code torch} (torch's random_split
     * with a generator of this seed over the source's order, as the MTIL reference splits).
     */
    public record RandomSplit(double trainFraction, String method, long seed) implements Serializable {
        public String describe() {
            return method.equals("torch") ? String.format(java.util.Locale.ROOT,
                    "torch random_split [int(%s n), n - int(%s n)], generator seed %d, over the source's order", trainFraction, trainFraction, seed)
                    : "seeded hash of each id, train fraction " + trainFraction;
        }
    }
    /**
     * One task: its source, class names (by label), templates, split policy (null = the source's
     * own split) and few-shot k (0 = no few-shot split).
     */
    public record TaskSource(String name, Source source, List<String> classNames, String classNamesFile,
            List<String> templates, RandomSplit split, int shots) implements Serializable {}

    /** The same settings writing elsewhere. */
    public PrepConfig withOutput(String uri) {
        return new PrepConfig(Storage.location(null, uri), seed, workers, resolution, trainShortSide, maxBadFraction, maxPixels,
                allowEmptyClasses, progressIntervalSeconds, tasks);
    }

    private static final Map<String, Set<String>> SOURCE_KEYS = Map.of(
            "image-folder", Set.of("type", "root"),
            "manifest", Set.of("type", "path", "format"),
            "idx", Set.of("type", "train-images", "train-labels", "test-images", "test-labels"),
            "mtil", Set.of("type", "dataset", "root"));

    private static final Set<String> TASK_KEYS = Set.of("name", "source", "classnames", "classnames-file", "templates", "split", "shots");

    /** Reads {@code dac.prep} from a file over the defaults. */
    public static PrepConfig load(Path file) {
        return read(Settings.load(file, "prep config"));
    }

    /** Reads user settings (without the defaults) whose relative paths are relative to {@code base}. */
    public static PrepConfig from(Config user, Path base) {
        return read(Settings.of(user, base));
    }

    public static PrepConfig read(Settings settings) {
        Section c = settings.section("dac.prep");
        String output = c.required("output", "where should the shards go (a path or an s3a:// / hdfs:// URI)?");
        List<TaskSource> tasks = new ArrayList<>();
        for (Section t : c.entries("tasks", "task", TASK_KEYS)) {
            tasks.add(task(t));
        }
        c.check("tasks", tasks, !tasks.isEmpty(), "non-empty");
        Set<String> names = new TreeSet<>();
        for (TaskSource t : tasks) {
            if (!names.add(t.name())) {
                throw c.invalid("tasks", "the task name '" + t.name() + "' is used twice");
            }
        }
        int resolution = c.positiveInt("resolution");
        int trainShortSide = c.intValue("train-short-side");
        return new PrepConfig(Storage.location(c.base(), output), c.longValue("seed"), c.positiveInt("workers"), resolution,
                c.check("train-short-side", trainShortSide, trainShortSide >= resolution, ">= " + c.key("resolution") + " = " + resolution),
                c.fraction("max-bad-fraction"), c.positiveLong("max-pixels"), c.bool("allow-empty-classes"), c.positiveInt("progress-interval"),
                List.copyOf(tasks));
    }

    private static TaskSource task(Section t) {
        String name = t.string("name");
        t.check("name", name, name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*"), "letters, digits, '.', '_' or '-' (it names directories)");
        Section s = t.section("source");
        String type = s.string("type");
        Set<String> sourceKeys = SOURCE_KEYS.get(type);
        String unknown = sourceKeys == null ? null : s.keyOtherThan(sourceKeys);
        if (unknown != null) {
            throw s.invalid(unknown, "task '" + name + "': unknown key source." + unknown
                    + "; a source of type " + type + " has " + new TreeSet<>(sourceKeys));
        }
        Source source = switch (type) {
            case "image-folder" -> new ImageFolder(location(s, "root"));
            case "manifest" -> {
                String path = location(s, "path");
                String format = s.has("format") ? s.string("format") : formatOf(path, s);
                if (!Set.of("csv", "jsonl", "parquet").contains(format)) {
                    throw s.invalid(s.has("format") ? "format" : "path", "manifest format '" + format + "' is not one of csv, jsonl, parquet");
                }
                yield new Manifest(path, format);
            }
            case "idx" -> new Idx(location(s, "train-images"), location(s, "train-labels"), location(s, "test-images"), location(s, "test-labels"));
            case "mtil" -> {
                MtilDataset dataset = s.parsed("dataset", MtilDataset::of);
                if (t.has("split")) {
                    throw t.invalid("split", "task '" + name + "': an MTIL dataset is split as the benchmark splits it; remove 'split'");
                }
                yield new Mtil(dataset, location(s, "root"));
            }
            default -> throw s.invalid("type", "task '" + name + "': source.type '" + type + "' is not one of image-folder, manifest, idx, mtil");
        };
        // classnames, or a file read by the job (it may sit on object storage), or none: the
        // image-folder directory names
        List<String> classNames = t.has("classnames") ? t.strings("classnames") : null;
        String classNamesFile = t.has("classnames-file") ? location(t, "classnames-file") : null;
        RandomSplit split = null;
        if (t.has("split")) {
            if (t.type("split") == ConfigValueType.STRING) {
                if (!t.string("split").equals("official")) {
                    throw t.invalid("split", "task '" + name + "': split must be 'official' or { random = FRACTION, method = hash | torch, seed = N }");
                }
            } else {
                split = randomSplit(t.section("split"), name);
            }
        }
        int shots = t.has("shots") ? t.intAtLeast("shots", 0) : 0;
        List<String> templates = t.nonEmptyStrings("templates");
        for (String tpl : templates) {
            if (!tpl.contains("{}")) {
                throw t.invalid("templates", "task '" + name + "': template '" + tpl + "' has no '{}' for the class name");
            }
        }
        return new TaskSource(name, source, classNames, classNamesFile, templates, split, shots);
    }

    /** A location (URI or path relative to the config file) at a key. */
    private static String location(Section s, String key) {
        return Storage.location(s.base(), s.string(key));
    }

    private static final Set<String> SPLIT_KEYS = Set.of("random", "method", "seed");

    private static RandomSplit randomSplit(Section s, String task) {
        s.refuseKeysOtherThan(SPLIT_KEYS, "split");
        double fraction = s.doubleValue("random");
        s.check("random", fraction, fraction > 0 && fraction < 1, "the train fraction, in (0, 1)");
        String method = s.has("method") ? s.string("method") : "hash";
        if (!method.equals("hash") && !method.equals("torch")) {
            throw s.invalid("method", "task '" + task
                    + "': split.method is hash (a seeded hash of each id) or torch (torch's random_split over the source's order); got '" + method + "'");
        }
        if (s.has("seed") && method.equals("hash")) {
            throw s.invalid("seed", "task '" + task + "': split.seed is the torch generator's seed (method = torch); the hash split uses dac.prep.seed");
        }
        return new RandomSplit(fraction, method, s.has("seed") ? s.longValue("seed") : 42);
    }

    private static String formatOf(String path, Section s) {
        String lower = path.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".csv")) {
            return "csv";
        }
        if (lower.endsWith(".jsonl") || lower.endsWith(".json")) {
            return "jsonl";
        }
        if (lower.endsWith(".parquet")) {
            return "parquet";
        }
        throw s.invalid("path", "cannot tell the manifest format of '" + path + "' from its name: set source.format = csv | jsonl | parquet");
    }
}
