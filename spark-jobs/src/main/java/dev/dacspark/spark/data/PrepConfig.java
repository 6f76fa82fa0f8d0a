package dev.dacspark.spark.data;

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
    public sealed interface Source extends Serializable permits ImageFolder, Manifest, Idx {}

    /** root/<class>/* (split by policy), or root/train/<class>/* and root/test/<class>/* (official). */
    public record ImageFolder(String root) implements Source {}

    /** A CSV, JSON Lines or Parquet file of (path, label[, split]); relative paths are relative to it. */
    public record Manifest(String path, String format) implements Source {}

    /** MNIST-style IDX files (gzip or not). */
    public record Idx(String trainImages, String trainLabels, String testImages, String testLabels) implements Source {}

    /**
     * One task: its source, class names (by label), templates, split policy (trainFraction null =
     * the source's official split) and few-shot k (0 = no few-shot split).
     */
    public record TaskSource(String name, Source source, List<String> classNames, String classNamesFile,
            List<String> templates, Double trainFraction, int shots) implements Serializable {}

    /** The same settings writing elsewhere. */
    public PrepConfig withOutput(String uri) {
        return new PrepConfig(Storage.location(null, uri), seed, workers, resolution, trainShortSide, maxBadFraction, maxPixels,
                progressIntervalSeconds, tasks);
    }

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
            default -> throw new IllegalArgumentException(s.getValue("type").origin().description() + ": task '" + name
                    + "': source.type '" + type + "' is not one of image-folder, manifest, idx");
        };
        // classnames, or a file read by the job (it may sit on object storage), or none: the
        // image-folder directory names
        List<String> classNames = t.hasPath("classnames") ? List.copyOf(t.getStringList("classnames")) : null;
        String classNamesFile = t.hasPath("classnames-file") ? Storage.location(base, t.getString("classnames-file")) : null;
        Double trainFraction = null;
        if (t.hasPath("split")) {
            if (t.getValue("split").valueType() == com.typesafe.config.ConfigValueType.STRING) {
                if (!t.getString("split").equals("official")) {
                    throw new IllegalArgumentException(t.getValue("split").origin().description() + ": task '" + name
                            + "': split must be 'official' or { random = FRACTION }");
                }
            } else {
                trainFraction = t.getDouble("split.random");
                if (!(trainFraction > 0 && trainFraction < 1)) {
                    throw new IllegalArgumentException(t.getValue("split.random").origin().description() + ": task '" + name
                            + "': split.random is the train fraction, in (0, 1); got " + trainFraction);
                }
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
        return new TaskSource(name, source, classNames, classNamesFile, List.copyOf(templates), trainFraction, shots);
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
