package dev.dacspark.spark.continual;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.train.RunConfig;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The continual-learning job's settings: the model-level run settings ({@link RunConfig}: seed,
 * model, method, methods, train, eval) plus {@code dac.job}, with every location as a URI (a path
 * without a scheme is relative to the config file). The fingerprint covers every setting that
 * changes results; resuming a run with another fingerprint is refused.
 */
public record JobConfig(RunConfig run, String runId, String checkpoint, String tokenizer, String data, String output,
        int workers, TrainSplit trainSplit, Map<String, Double> taskLr, int checkpointEvery, int checksumEvery,
        Duration ringTimeout, int attempts, Map<String, String> s3, Map<String, Object> fingerprinted) {

    /** Which split of a prepared task trains. */
    public enum TrainSplit { AUTO, FEWSHOT, TRAIN }

    private static final ObjectMapper SORTED = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    public static JobConfig load(Path file) {
        return load(file, null);
    }

    /** Loads a run config file; a non-null {@code runId} replaces its dac.job.run-id (scheduled reruns name each run). */
    public static JobConfig load(Path file, String runId) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("run config " + file + " does not exist");
        }
        try {
            Config user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            if (runId != null) {
                user = user.withValue("dac.job.run-id", com.typesafe.config.ConfigValueFactory.fromAnyRef(runId, "--run-id"));
            }
            return from(user, file.toAbsolutePath().getParent());
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Reads user settings (without the defaults) whose relative paths are relative to {@code base}. */
    public static JobConfig from(Config user, Path base) {
        RunConfig run = RunConfig.from(user, base); // unknown keys, types and the shared sections
        for (String ignored : new String[] {"dac.tasks", "dac.train.shots"}) {
            if (user.hasPath(ignored)) {
                LoggerFactory.getLogger(JobConfig.class).warn("{}: {} is not used by the Spark job: the tasks and their few-shot "
                        + "splits come from the prep output (dac.job.data)", user.getValue(ignored).origin().description(), ignored);
            }
        }
        Config c = user.withFallback(ConfigFactory.defaultReference()).resolve().getConfig("dac");
        try {
            Config j = c.getConfig("job");
            String runId = required(j, "run-id");
            if (!runId.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(where(j, "run-id") + "dac.job.run-id '" + runId
                        + "' must be letters, digits, '.', '_' or '-' (it names a folder)");
            }
            String data = Storage.location(base, required(j, "data"));
            String checkpoint = c.getIsNull("model.checkpoint") ? null : Storage.location(base, c.getString("model.checkpoint"));
            String tokenizer = c.getIsNull("model.tokenizer") ? null : Storage.location(base, c.getString("model.tokenizer"));
            if (checkpoint == null) {
                throw new IllegalArgumentException("dac.model.checkpoint is not set: point it at a CLIP checkpoint (safetensors, any URI)");
            }
            if (tokenizer == null) {
                throw new IllegalArgumentException("dac.model.tokenizer is not set: point it at a tokenizer.json (any URI)");
            }
            String output = Storage.location(base, c.getString("output")) + "/" + runId;
            int workers = atLeast(j, "workers", 1);
            TrainSplit split = switch (j.getString("train-split")) {
                case "auto" -> TrainSplit.AUTO;
                case "fewshot" -> TrainSplit.FEWSHOT;
                case "train" -> TrainSplit.TRAIN;
                default -> throw new IllegalArgumentException(where(j, "train-split") + "dac.job.train-split must be auto, fewshot or "
                        + "train, got '" + j.getString("train-split") + "'");
            };
            Map<String, Double> taskLr = new TreeMap<>();
            for (Map.Entry<String, ConfigValue> e : j.getConfig("task-lr").root().entrySet()) {
                taskLr.put(e.getKey(), j.getConfig("task-lr").getDouble(quoted(e.getKey())));
            }
            Map<String, String> s3 = new LinkedHashMap<>();
            s3Setting(j, "s3.endpoint", "fs.s3a.endpoint", s3);
            s3Setting(j, "s3.region", "fs.s3a.endpoint.region", s3);
            s3Setting(j, "s3.path-style-access", "fs.s3a.path.style.access", s3);
            s3Setting(j, "s3.credentials-provider", "fs.s3a.aws.credentials.provider", s3);
            long timeout = j.getDuration("ring-timeout").toMillis();
            if (timeout < 1000 || timeout > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where(j, "ring-timeout") + "dac.job.ring-timeout must be between 1 s and 24 days");
            }
            Map<String, Object> fp = new TreeMap<>();
            for (String section : new String[] {"seed", "method", "methods", "train", "eval"}) {
                fp.put(section, c.getValue(section).unwrapped());
            }
            fp.put("model", Map.of("checkpoint", checkpoint, "tokenizer", tokenizer, "save-format", c.getString("model.save-format")));
            fp.put("job", Map.of("data", data, "workers", workers, "train-split", split.name().toLowerCase(java.util.Locale.ROOT),
                    "task-lr", taskLr));
            return new JobConfig(run, runId, checkpoint, tokenizer, data, output, workers, split, taskLr,
                    atLeast(j, "checkpoint-every", 1), atLeast(j, "checksum-every", 1), j.getDuration("ring-timeout"),
                    atLeast(j, "attempts", 1), s3, fp);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** SHA-256 of the settings that change results (sorted JSON). */
    public String fingerprint() {
        try {
            byte[] json = SORTED.writeValueAsBytes(fingerprinted);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The settings as written into the run's {@code _run.json}: what the fingerprint covers, plus S3 settings; no secret. */
    public Map<String, Object> dump() {
        Map<String, Object> d = new TreeMap<>(fingerprinted);
        d.put("s3", s3);
        return d;
    }

    /** The learning rate of a task: dac.job.task-lr.<name>, else dac.train.lr. */
    public double lr(String task) {
        return taskLr.getOrDefault(task, run.train().lr());
    }

    /** Refuses a dac.job.task-lr entry that names no task of the stream (a typo would silently train at dac.train.lr). */
    public void checkTaskNames(java.util.List<String> tasks, String stream) {
        for (String name : taskLr.keySet()) {
            if (!tasks.contains(name)) {
                throw new IllegalArgumentException("dac.job.task-lr." + name + ": no task of " + stream + " is called '" + name
                        + "'; its tasks are " + tasks);
            }
        }
    }

    /** Sets the S3 settings of this config on a Hadoop configuration. */
    public void applyTo(Configuration hadoop) {
        s3.forEach(hadoop::set);
    }

    /** The run's folder, in a URI: {@code <dac.output>/<run-id>}. */
    public String runDir() {
        return output;
    }

    private static void s3Setting(Config j, String key, String hadoopKey, Map<String, String> out) {
        if (!j.getIsNull(key)) {
            out.put(hadoopKey, j.getValue(key).unwrapped().toString());
        }
    }

    private static String required(Config j, String key) {
        if (j.getIsNull(key)) {
            throw new IllegalArgumentException("dac.job." + key + " is not set");
        }
        return j.getString(key);
    }

    private static int atLeast(Config c, String key, int min) {
        int v = c.getInt(key);
        if (v < min) {
            throw new IllegalArgumentException(where(c, key) + "dac.job." + key + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    private static String where(Config c, String key) {
        String d = c.getValue(key).origin().description();
        return d.contains("reference.conf") ? "" : d + ": ";
    }

    private static String quoted(String key) {
        return "\"" + key.replace("\"", "\\\"") + "\"";
    }
}
