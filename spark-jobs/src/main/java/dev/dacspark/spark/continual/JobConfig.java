package dev.dacspark.spark.continual;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.train.RunConfig;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The continual-learning job's settings: the model-level run settings ({@link RunConfig}: seed,
 * model, method, methods, train, per-task learning rates, eval) plus {@code dac.job}, with every location as a URI (a path
 * without a scheme is relative to the config file). The fingerprint covers every setting that
 * changes results; resuming a run with another fingerprint is refused.
 */
public record JobConfig(RunConfig run, String runId, String checkpoint, String tokenizer, String data, String output,
        int workers, TrainSplit trainSplit, int checkpointEvery, int checksumEvery,
        Duration ringTimeout, int attempts, Duration leaseTtl, Duration leaseRenew, Map<String, String> s3,
        Map<String, Object> fingerprinted) {

    /** Which split of a prepared task trains. */
    public enum TrainSplit { AUTO, FEWSHOT, TRAIN }

    public static JobConfig load(Path file) {
        return load(file, null);
    }

    /** Loads a run config file; a non-null {@code runId} replaces its dac.job.run-id (scheduled reruns name each run). */
    public static JobConfig load(Path file, String runId) {
        Config user = Settings.parse(file, "run config");
        if (runId != null) {
            user = user.withValue("dac.job.run-id", ConfigValueFactory.fromAnyRef(runId, "--run-id"));
        }
        return from(user, Settings.folder(file));
    }

    /** Reads user settings (without the defaults) whose relative paths are relative to {@code base}. */
    public static JobConfig from(Config user, Path base) {
        return read(Settings.of(user, base));
    }

    public static JobConfig read(Settings settings) {
        RunConfig run = RunConfig.read(settings); // the shared sections
        Section c = settings.section("dac");
        Section j = c.section("job");
        String runId = j.required("run-id", "");
        j.check("run-id", runId, runId.matches("[A-Za-z0-9._-]+"), "letters, digits, '.', '_' or '-' (it names a folder)");
        String data = Storage.location(j.base(), j.required("data", "the prep job's output"));
        String checkpoint = Storage.location(c.base(), c.required("model.checkpoint", "point it at a CLIP checkpoint (safetensors, any URI)"));
        String tokenizer = Storage.location(c.base(), c.required("model.tokenizer", "point it at a tokenizer.json (any URI)"));
        String output = Storage.location(c.base(), c.string("output")) + "/" + runId;
        int workers = j.positiveInt("workers");
        TrainSplit split = j.choice("train-split", TrainSplit.class);
        Map<String, String> s3 = new LinkedHashMap<>();
        s3Setting(j, "s3.endpoint", "fs.s3a.endpoint", s3);
        s3Setting(j, "s3.region", "fs.s3a.endpoint.region", s3);
        s3Setting(j, "s3.path-style-access", "fs.s3a.path.style.access", s3);
        s3Setting(j, "s3.credentials-provider", "fs.s3a.aws.credentials.provider", s3);
        Duration ringTimeout = j.duration("ring-timeout");
        j.check("ring-timeout", ringTimeout, ringTimeout.toMillis() >= 1000 && ringTimeout.toMillis() <= Integer.MAX_VALUE,
                "between 1 s and 24 days");
        Duration leaseTtl = j.duration("lease-ttl");
        j.check("lease-ttl", leaseTtl, leaseTtl.compareTo(Duration.ZERO) > 0, "> 0");
        Duration leaseRenew = j.duration("lease-renew");
        j.check("lease-renew", leaseRenew, leaseRenew.compareTo(Duration.ZERO) > 0 && leaseRenew.compareTo(leaseTtl) < 0,
                "in (0, lease-ttl = " + leaseTtl + ")");
        Map<String, Object> fp = new TreeMap<>();
        for (String section : new String[] {"seed", "method", "methods", "train", "eval"}) {
            fp.put(section, c.unwrapped(section));
        }
        fp.put("model", Map.of("checkpoint", checkpoint, "tokenizer", tokenizer, "save-format", c.string("model.save-format")));
        fp.put("job", Map.of("data", data, "workers", workers, "train-split", Section.id(split), "task-lr", new TreeMap<>(run.taskLr())));
        return new JobConfig(run, runId, checkpoint, tokenizer, data, output, workers, split, j.positiveInt("checkpoint-every"),
                j.positiveInt("checksum-every"), ringTimeout, j.positiveInt("attempts"), leaseTtl, leaseRenew, s3, fp);
    }

    /** SHA-256 of the settings that change results (sorted JSON). */
    public String fingerprint() {
        return CanonicalJson.sha256(fingerprinted);
    }

    /** The settings as written into the run's {@code _run.json}: what the fingerprint covers, plus S3 settings; no secret. */
    public Map<String, Object> dump() {
        Map<String, Object> d = new TreeMap<>(fingerprinted);
        d.put("s3", s3);
        return d;
    }

    /** The learning rate of a task ({@link RunConfig#lr}). */
    public double lr(String task) {
        return run.lr(task);
    }

    /** Refuses a dac.job.task-lr entry that names no task of the stream ({@link RunConfig#checkTaskLr}). */
    public void checkTaskNames(java.util.List<String> tasks, String stream) {
        run.checkTaskLr(tasks, stream);
    }

    /** Sets the S3 settings of this config on a Hadoop configuration. */
    public void applyTo(Configuration hadoop) {
        s3.forEach(hadoop::set);
    }

    /** The run's folder, in a URI: {@code <dac.output>/<run-id>}. */
    public String runDir() {
        return output;
    }

    private static void s3Setting(Section j, String key, String hadoopKey, Map<String, String> out) {
        if (j.has(key)) {
            out.put(hadoopKey, j.unwrapped(key).toString());
        }
    }
}
