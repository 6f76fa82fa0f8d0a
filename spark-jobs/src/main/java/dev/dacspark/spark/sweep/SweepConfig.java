package dev.dacspark.spark.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.storage.Storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sweep ({@code dac.sweep}; defaults in spark-jobs' reference.conf): a base run config (every other key of the
 * file) and axes, each a config key with the values it takes, expanded into the cartesian product of named runs
 * {@code <sweep-id>/<run-id>}, each a {@link JobConfig} whose folder is {@code <dac.output>/<sweep-id>/<run-id>}.
 * Axes are taken in the order of their keys (sorted), so the expansion and the run ids do not depend on how the
 * file is written; a run id is {@code <last part of the key>-<label>} per axis, joined by {@code _}
 * ({@code methods-dac_seed-1}). An axis is a list of values (labelled by the value) or an object of label = value
 * (for values that make poor names, such as the data folder of each MTIL order).
 *
 * <p>A sweep that cannot be expanded (an axis key no reference.conf declares, one the sweep sets itself, an empty
 * axis, two runs with one id) is refused naming the key. A run whose own config is invalid (a learning rate of
 * one axis value out of range) is not: it is expanded with its error, which the sweep reports as that run's
 * failure while the others run.
 *
 * @param maxConcurrentRuns runs trained at once; 0: as many as the cluster's executors hold ({@link SweepJob})
 * @param retries           further starts of a run after a failed one (each resumes where the last stopped)
 * @param replicateAxes     axes whose runs are replicates of one configuration: the results tables give their mean
 *                          and standard deviation
 */
public record SweepConfig(String id, String dir, List<Axis> axes, List<String> replicateAxes, int maxConcurrentRuns,
        int retries, List<Run> runs) {

    /** One axis: a config key and its values, in the order of its list, or of their labels (an object). */
    public record Axis(String key, List<Value> values) {}

    /** One value of an axis and the label that names it in run ids and tables. */
    public record Value(String label, ConfigValue value) {}

    /**
     * One run of the sweep: its id, the label of its value on each axis (by key), and its config, or the error
     * that its config is refused with (then {@code job} is null).
     */
    public record Run(String id, Map<String, String> axes, JobConfig job, String error) {}

    /** Keys the sweep sets in every run: not axes. */
    private static final List<String> OWN = List.of("dac.sweep", "dac.job.run-id", "dac.output");

    public static SweepConfig load(Path file) {
        return from(Settings.parse(file, "sweep config"), Settings.folder(file));
    }

    /** A sweep of user settings (without the defaults) whose relative paths are relative to {@code base}. */
    public static SweepConfig from(Config user, Path base) {
        return read(Settings.of(user, base));
    }

    /** The sweep of settings read by a config loader: {@code dac.sweep} and the base run config around it. */
    public static SweepConfig read(Settings settings) {
        Config user = settings.user();
        Path base = settings.base();
        Section s = settings.section("dac.sweep");
        String id = s.required("id", "it names the sweep's folder <dac.output>/<id>");
        s.check("id", id, id.matches("[A-Za-z0-9._-]+"), "letters, digits, '.', '_' or '-' (it names a folder)");
        String dir = Storage.location(base, settings.section("dac").string("output")) + "/" + id;
        List<Axis> axes = axes(s, s.config("axes").root(), user);
        List<String> replicate = s.strings("replicate-axes");
        int maxConcurrent = s.intAtLeast("max-concurrent-runs", 0);
        int retries = s.intAtLeast("retries", 0);

        List<Run> runs = new ArrayList<>();
        Map<String, Map<String, String>> seen = new LinkedHashMap<>();
        for (Map<String, Value> point : product(axes)) {
            Map<String, String> labels = new LinkedHashMap<>();
            StringBuilder runId = new StringBuilder();
            Config run = user;
            for (Map.Entry<String, Value> e : point.entrySet()) {
                labels.put(e.getKey(), e.getValue().label());
                List<String> parts = ConfigUtil.splitPath(e.getKey());
                runId.append(runId.isEmpty() ? "" : "_").append(parts.get(parts.size() - 1)).append('-').append(e.getValue().label());
                run = run.withValue(e.getKey(), e.getValue().value());
            }
            String rid = axes.isEmpty() ? "run" : runId.toString();
            Map<String, String> other = seen.put(rid, labels);
            if (other != null) {
                throw s.invalid("axes", "the runs " + other + " and " + labels + " would both be named '" + rid
                        + "'; label the values of the axis: \"<key>\" { <label> = <value>, ... }");
            }
            run = run.withoutPath("dac.sweep")
                    .withValue("dac.output", ConfigValueFactory.fromAnyRef(dir, "set by the sweep " + id))
                    .withValue("dac.job.run-id", ConfigValueFactory.fromAnyRef(rid, "set by the sweep " + id));
            try {
                runs.add(new Run(rid, labels, JobConfig.from(run, base), null));
            } catch (IllegalArgumentException e) {
                runs.add(new Run(rid, labels, null, e.getMessage()));
            }
        }
        return new SweepConfig(id, dir, axes, replicate, maxConcurrent, retries, List.copyOf(runs));
    }

    /** The axes by key, each checked: a declared key the sweep does not set itself, with at least one value. */
    private static List<Axis> axes(Section s, ConfigObject axes, Config user) {
        List<Axis> out = new ArrayList<>();
        for (String key : new TreeMap<>(axes).keySet()) {
            String at = s.at("axes") + " \"" + key + "\"";
            if (!key.startsWith("dac.") || OWN.stream().anyMatch(own -> key.equals(own) || key.startsWith(own + "."))) {
                throw new IllegalArgumentException(at + ": an axis is a dac.* run setting other than " + OWN
                        + " (the sweep sets those), its key quoted: \"dac.seed\" = [1, 2]");
            }
            ConfigValue v = axes.get(key);
            List<Value> values = new ArrayList<>();
            if (v instanceof ConfigList list) {
                list.forEach(x -> values.add(new Value(label(x), x)));
            } else if (v instanceof ConfigObject labelled) {
                for (String label : new TreeMap<>(labelled).keySet()) {
                    if (!label.matches("[A-Za-z0-9.-]+")) {
                        throw new IllegalArgumentException(at + ": label '" + label + "' must be letters, digits, '.' or '-' "
                                + "(it is part of the run ids)");
                    }
                    values.add(new Value(label, labelled.get(label)));
                }
            } else {
                throw new IllegalArgumentException(at + ": an axis is a list of values or an object of label = value, got "
                        + v.valueType().name().toLowerCase(java.util.Locale.ROOT));
            }
            if (values.isEmpty()) {
                throw new IllegalArgumentException(at + ": the axis is empty; give it at least one value");
            }
            // the key must be one reference.conf declares: Settings refuses it otherwise, naming where it is set
            Settings.of(user.withValue(key, ConfigValueFactory.fromAnyRef(values.get(0).value().unwrapped(), at)), s.base());
            out.add(new Axis(key, List.copyOf(values)));
        }
        return out;
    }

    /** The cartesian product of the axes: the last axis varies fastest. */
    private static List<Map<String, Value>> product(List<Axis> axes) {
        List<Map<String, Value>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Axis axis : axes) {
            List<Map<String, Value>> next = new ArrayList<>();
            for (Map<String, Value> p : points) {
                for (Value v : axis.values()) {
                    Map<String, Value> q = new LinkedHashMap<>(p);
                    q.put(axis.key(), v);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }

    /** A value's label: its text (a list's elements joined by '.'), with characters a folder name should not have as '-'. */
    private static String label(ConfigValue v) {
        String text = v.valueType() == ConfigValueType.LIST
                ? String.join(".", ((ConfigList) v).stream().map(x -> String.valueOf(x.unwrapped())).toList())
                : String.valueOf(v.unwrapped());
        return text.replaceAll("[^A-Za-z0-9.-]+", "-");
    }

    /** The axes whose values tell configurations apart (not replicates, not the methods, which the tables are per). */
    public List<String> groupAxes() {
        return axes.stream().map(Axis::key).filter(k -> !replicateAxes.contains(k) && !k.equals("dac.methods")).toList();
    }
}
