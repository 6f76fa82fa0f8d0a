package dev.dacspark.spark.data;

import dev.dacspark.spark.data.mtil.MtilDataset;
import dev.dacspark.spark.storage.Storage;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;

import java.io.Serializable;
import java.nio.file.Files;
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
        long maxPixels, int progressIntervalSeconds, List<TaskSource> tasks) implements Serializable {

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
                progressIntervalSeconds, tasks);
    }

    private static final Map<String, Set<String>> SOURCE_KEYS = Map.of(
            "image-folder", Set.of("type", "root"),
            "manifest", Set.of("type", "path", "format"),
            "idx", Set.of("type", "train-images", "train-labels", "test-images", "test-labels"),
            "mtil", Set.of("type", "dataset", "root"));

    private static final Set<String> TASK_KEYS = Set.of("name", "source", "classnames", "classnames-file", "templates", "split", "shots");

    /** Reads {@code dac.prep} from a file over the defaults. */
    public static PrepConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("prep config " + file + " does not exist");
        }
        try {
            Config user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            return from(user, file.toAbsolutePath().getParent());
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static PrepConfig from(Config user, Path base) {
        Config reference = ConfigFactory.defaultReference();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            if (e.getKey().startsWith("dac.prep.") && !e.getKey().startsWith("dac.prep.tasks") && !reference.hasPathOrNull(e.getKey())) {
                throw new IllegalArgumentException(e.getValue().origin().description() + ": unknown key '" + e.getKey() + "'");
            }
        }
        try {
            Config c = user.withFallback(reference).resolve().getConfig("dac.prep");
            if (c.getIsNull("output")) {
                throw new IllegalArgumentException("dac.prep.output is not set: where should the shards go (a path or an s3a:// / hdfs:// URI)?");
            }
            List<TaskSource> tasks = new ArrayList<>();
            for (Config t : c.getConfigList("tasks")) {
                tasks.add(task(t, base));
            }
            if (tasks.isEmpty()) {
                throw new IllegalArgumentException(c.getValue("tasks").origin().description() + ": dac.prep.tasks is empty");
            }
            Set<String> names = new TreeSet<>();
            for (TaskSource t : tasks) {
                if (!names.add(t.name())) {
                    throw new IllegalArgumentException("dac.prep.tasks: the task name '" + t.name() + "' is used twice");
                }
            }
            return new PrepConfig(Storage.location(base, c.getString("output")), c.getLong("seed"), positive(c, "workers"),
                    positive(c, "resolution"), positive(c, "train-short-side"), fraction(c, "max-bad-fraction"),
                    c.getLong("max-pixels"), positive(c, "progress-interval"), List.copyOf(tasks));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static TaskSource task(Config t, Path base) {
        String where = t.origin().description();
        for (String key : t.root().keySet()) {
            if (!TASK_KEYS.contains(key)) {
                throw new IllegalArgumentException(where + ": unknown task key '" + key + "'; a task has " + new TreeSet<>(TASK_KEYS));
            }
        }
        String name = t.getString("name");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException(where + ": task name '" + name + "' must be letters, digits, '.', '_' or '-' (it names directories)");
        }
        Config s = t.getConfig("source");
        String type = s.getString("type");
        Set<String> sourceKeys = SOURCE_KEYS.get(type);
        for (String key : sourceKeys == null ? Set.<String>of() : s.root().keySet()) {
            if (!sourceKeys.contains(key)) {
                throw new IllegalArgumentException(s.getValue(key).origin().description() + ": task '" + name + "': unknown key source."
                        + key + "; a source of type " + type + " has " + new TreeSet<>(sourceKeys));
            }
        }
        Source source = switch (type) {
            case "image-folder" -> new ImageFolder(Storage.location(base, s.getString("root")));
            case "manifest" -> {
                String path = Storage.location(base, s.getString("path"));
                String format = s.hasPath("format") ? s.getString("format") : formatOf(path, s);
                if (!Set.of("csv", "jsonl", "parquet").contains(format)) {
                    throw new IllegalArgumentException(s.getValue(s.hasPath("format") ? "format" : "path").origin().description()
                            + ": manifest format '" + format + "' is not one of csv, jsonl, parquet");
                }
                yield new Manifest(path, format);
            }
            case "idx" -> new Idx(Storage.location(base, s.getString("train-images")), Storage.location(base, s.getString("train-labels")),
                    Storage.location(base, s.getString("test-images")), Storage.location(base, s.getString("test-labels")));
            case "mtil" -> {
                MtilDataset dataset;
                try {
                    dataset = MtilDataset.of(s.getString("dataset"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(s.getValue("dataset").origin().description() + ": task '" + name + "': source.dataset "
                            + e.getMessage(), e);
                }
                if (t.hasPath("split")) {
                    throw new IllegalArgumentException(t.getValue("split").origin().description() + ": task '" + name
                            + "': an MTIL dataset is split as the benchmark splits it; remove 'split'");
                }
                yield new Mtil(dataset, Storage.location(base, s.getString("root")));
            }
            default -> throw new IllegalArgumentException(s.getValue("type").origin().description() + ": task '" + name
                    + "': source.type '" + type + "' is not one of image-folder, manifest, idx, mtil");
        };
        // classnames, or a file read by the job (it may sit on object storage), or none: the
        // image-folder directory names
        List<String> classNames = t.hasPath("classnames") ? List.copyOf(t.getStringList("classnames")) : null;
        String classNamesFile = t.hasPath("classnames-file") ? Storage.location(base, t.getString("classnames-file")) : null;
        RandomSplit split = null;
        if (t.hasPath("split")) {
            if (t.getValue("split").valueType() == com.typesafe.config.ConfigValueType.STRING) {
                if (!t.getString("split").equals("official")) {
                    throw new IllegalArgumentException(t.getValue("split").origin().description() + ": task '" + name
                            + "': split must be 'official' or { random = FRACTION, method = hash | torch, seed = N }");
                }
            } else {
                split = randomSplit(t.getConfig("split"), name);
            }
        }
        int shots = t.hasPath("shots") ? t.getInt("shots") : 0;
        if (shots < 0) {
            throw new IllegalArgumentException(t.getValue("shots").origin().description() + ": task '" + name + "': shots must be >= 0");
        }
        List<String> templates = t.getStringList("templates");
        for (String tpl : templates) {
            if (!tpl.contains("{}")) {
                throw new IllegalArgumentException(t.getValue("templates").origin().description() + ": task '" + name
                        + "': template '" + tpl + "' has no '{}' for the class name");
            }
        }
        if (templates.isEmpty()) {
            throw new IllegalArgumentException(where + ": task '" + name + "' has no templates");
        }
        return new TaskSource(name, source, classNames, classNamesFile, List.copyOf(templates), split, shots);
    }

    private static final Set<String> SPLIT_KEYS = Set.of("random", "method", "seed");

    private static RandomSplit randomSplit(Config s, String task) {
        for (String key : s.root().keySet()) {
            if (!SPLIT_KEYS.contains(key)) {
                throw new IllegalArgumentException(s.getValue(key).origin().description() + ": task '" + task + "': unknown split key '"
                        + key + "'; a random split has " + new TreeSet<>(SPLIT_KEYS));
            }
        }
        double fraction = s.getDouble("random");
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException(s.getValue("random").origin().description() + ": task '" + task
                    + "': split.random is the train fraction, in (0, 1); got " + fraction);
        }
        String method = s.hasPath("method") ? s.getString("method") : "hash";
        if (!method.equals("hash") && !method.equals("torch")) {
            throw new IllegalArgumentException(s.getValue("method").origin().description() + ": task '" + task
                    + "': split.method is hash (a seeded hash of each id) or torch (torch's random_split over the source's order); got '" + method + "'");
        }
        if (s.hasPath("seed") && method.equals("hash")) {
            throw new IllegalArgumentException(s.getValue("seed").origin().description() + ": task '" + task
                    + "': split.seed is the torch generator's seed (method = torch); the hash split uses dac.prep.seed");
        }
        return new RandomSplit(fraction, method, s.hasPath("seed") ? s.getLong("seed") : 42);
    }

    private static String formatOf(String path, Config s) {
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
        throw new IllegalArgumentException(s.getValue("path").origin().description() + ": cannot tell the manifest format of '"
                + path + "' from its name: set source.format = csv | jsonl | parquet");
    }

    private static int positive(Config c, String key) {
        int v = c.getInt(key);
        if (v < 1) {
            throw new IllegalArgumentException(c.getValue(key).origin().description() + ": dac.prep." + key + " must be positive, got " + v);
        }
        return v;
    }

    private static double fraction(Config c, String key) {
        double v = c.getDouble(key);
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(c.getValue(key).origin().description() + ": dac.prep." + key + " must be in [0, 1], got " + v);
        }
        return v;
    }
}
