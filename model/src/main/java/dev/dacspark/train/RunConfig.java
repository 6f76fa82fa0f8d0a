package dev.dacspark.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.lora.DacConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A run's settings, typed, read from HOCON over the defaults of {@code reference.conf} (key
 * {@code dac}). Every error names the key and where it was set (file: line). Relative paths are
 * resolved against the config file's directory.
 */
public record RunConfig(long seed, Path checkpoint, Path tokenizer, ClipCheckpoint.Format saveFormat, DacConfig method,
        List<Method> methods, Train train, int evalBatchSize, List<TaskSpec> tasks, Path output) {

    /** The methods and baselines the continual loop runs. */
    public enum Method {
        ZERO_SHOT, SEQ_LORA, DAC_NO_AGO, DAC;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The adapter settings of this method, from the configured DAC settings; null for zero-shot. */
        public DacConfig adapter(DacConfig dac) {
            return switch (this) {
                case ZERO_SHOT -> null;
                case SEQ_LORA -> dac.withRouting(DacConfig.Routing.DENSE).withAgoWeight(0);
                case DAC_NO_AGO -> dac.withAgoWeight(0);
                case DAC -> dac;
            };
        }

        static Method parse(String s, String where) {
            for (Method m : values()) {
                if (m.id().equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(where + ": unknown method '" + s + "'; expected one of zero-shot, seq-lora, dac-no-ago, dac");
        }
    }

    public record Train(int iterations, int batchSize, double lr, double lrMin, AdamW.Settings adamw, int shots, int logEvery) {}

    /** One task: name, image-folder root, templates, optional class names and learning rate. */
    public record TaskSpec(String name, Path root, List<String> templates, List<String> classNames, Double lr) {}

    /** Loads a run config file over the defaults. */
    public static RunConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("run config " + file + " does not exist");
        }
        Config user;
        try {
            user = ConfigFactory.parseFile(file.toFile(), com.typesafe.config.ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return from(user, file.toAbsolutePath().getParent());
    }

    /** Reads a config (user settings, without the defaults) whose relative paths are relative to {@code base}. */
    public static RunConfig from(Config user, Path base) {
        Config reference = ConfigFactory.defaultReference();
        rejectUnknownKeys(user, reference);
        Config c = user.withFallback(reference).resolve().getConfig("dac");
        try {
            c.checkValid(reference.getConfig("dac"));
            Config t = c.getConfig("train");
            Train train = new Train(positive(t, "iterations"), positive(t, "batch-size"), t.getDouble("lr"), t.getDouble("lr-min"),
                    new AdamW.Settings(t.getDouble("beta1"), t.getDouble("beta2"), t.getDouble("eps"), t.getDouble("weight-decay")),
                    t.getInt("shots"), positive(t, "log-every"));
            List<Method> methods = new ArrayList<>();
            for (String m : c.getStringList("methods")) {
                methods.add(Method.parse(m, c.getValue("methods").origin().description() + ": dac.methods"));
            }
            if (methods.isEmpty()) {
                throw new IllegalArgumentException(c.getValue("methods").origin().description() + ": dac.methods is empty");
            }
            List<TaskSpec> tasks = new ArrayList<>();
            for (Config task : c.getConfigList("tasks")) {
                for (String key : task.root().keySet()) {
                    if (!TASK_KEYS.contains(key)) {
                        throw new IllegalArgumentException(task.getValue(key).origin().description() + ": unknown task key '"
                                + key + "'; a task has " + new java.util.TreeSet<>(TASK_KEYS));
                    }
                }
                tasks.add(new TaskSpec(task.getString("name"), path(base, task.getString("root")), task.getStringList("templates"),
                        task.hasPath("classnames") ? task.getStringList("classnames") : null,
                        task.hasPath("lr") ? task.getDouble("lr") : null));
            }
            return new RunConfig(c.getLong("seed"), optionalPath(c, "model.checkpoint", base), optionalPath(c, "model.tokenizer", base),
                    ClipCheckpoint.Format.parse(c.getString("model.save-format")), DacConfig.fromConfig(c.getConfig("method")),
                    List.copyOf(methods), train, positive(c, "eval.batch-size"), List.copyOf(tasks), path(base, c.getString("output")));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** An int setting that must be at least 1; the error names the file and line. Shared with {@link PretrainConfig}. */
    static int positive(Config c, String key) {
        int v = c.getInt(key);
        if (v < 1) {
            throw new IllegalArgumentException(c.getValue(key).origin().description() + ": " + key + " must be positive, got " + v);
        }
        return v;
    }

    private static Path optionalPath(Config c, String key, Path base) {
        return c.getIsNull(key) ? null : path(base, c.getString(key));
    }

    /** A configured path, relative to the config file's folder unless absolute. Shared with {@link PretrainConfig}. */
    static Path path(Path base, String p) {
        Path path = Path.of(p);
        return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
    }

    /** Fails on a key that reference.conf does not know (a typo would otherwise be silently ignored). */
    public static void rejectUnknownKeys(Config user, Config reference) {
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith("dac.")) {
                continue; // other namespaces (spark, ...) are not ours
            }
            if (key.startsWith("dac.tasks")) {
                continue; // a list, checked when read
            }
            if (key.startsWith("dac.pretrain.model.")) {
                continue; // no defaults; ClipConfig.fromHocon refuses unknown model keys
            }
            if (!reference.hasPathOrNull(key) && !underFreeFormObject(key, reference)) {
                throw new IllegalArgumentException(e.getValue().origin().description() + ": unknown key '" + key + "'");
            }
        }
    }

    /** True when a parent of key is declared {@code {}} in the reference: a map whose keys the user names. */
    private static boolean underFreeFormObject(String key, Config reference) {
        for (int dot = key.lastIndexOf('.'); dot > 0; dot = key.lastIndexOf('.', dot - 1)) {
            String parent = key.substring(0, dot);
            if (reference.hasPath(parent)) {
                return reference.getValue(parent) instanceof com.typesafe.config.ConfigObject o && o.isEmpty();
            }
        }
        return false;
    }

    /** Task keys a run config may set. */
    static final Set<String> TASK_KEYS = Set.of("name", "root", "templates", "classnames", "lr");

    /** The model's checkpoint, or a clear error if the run config has none. */
    public Path requireCheckpoint() {
        if (checkpoint == null) {
            throw new IllegalArgumentException("dac.model.checkpoint is not set: point it at a CLIP checkpoint (safetensors file or Hugging Face directory)");
        }
        return checkpoint;
    }

    public Path requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException("dac.model.tokenizer is not set: point it at a tokenizer.json (or a directory holding one)");
        }
        return tokenizer;
    }
}
