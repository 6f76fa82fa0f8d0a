package dev.dacspark.spark.continual;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A run's folder {@code <dac.output>/<run-id>/}: {@code _run.json} (the config that started it),
 * task files under unique names, results folders, and {@code _manifest.json}, the commit record,
 * written last. Opening a run claims it for a config (a different one is refused) and removes what
 * an interrupted start left that no manifest lists. A store is opened under the run's {@link RunLease},
 * taken before: it hands out new file names and commits only while the lease is this start's.
 */
final class RunStore {
    private static final Logger LOG = LoggerFactory.getLogger(RunStore.class);
    static final String RUN = "_run.json";
    static final String MANIFEST = "_manifest.json";

    private final String runDir;
    private final Configuration hadoop;
    private RunLease lease;

    RunStore(String runDir, Configuration hadoop) {
        this.runDir = runDir;
        this.hadoop = hadoop;
    }

    /** The URI of a path relative to the run folder. */
    String uri(String relative) {
        return runDir + "/" + relative;
    }

    /** A task's folder, relative: {@code <method>/task-NN-<name>}. */
    String taskDir(String method, int taskIndex, String name) {
        return method + "/" + RunManifest.taskFolder(taskIndex + 1, name);
    }

    /** A new unique file name in a folder, relative to the run folder; fails once the lease is lost. */
    String newFile(String dir, String stem, String ext) {
        checkLease();
        return dir + "/" + Storage.uniqueName(stem, ext);
    }

    /**
     * Claims the run for this config and prepared data (or checks they are the ones that started it: the config's
     * fingerprint and every task's {@link PreparedStream.Task#dataSha256}) and returns its committed state; the store
     * writes under {@code lease} from now on.
     */
    RunManifest open(JobConfig config, PreparedStream stream, RunLease lease) {
        this.lease = lease;
        List<String> datasets = stream.names();
        JsonNode started = Storage.readJson(uri(RUN), hadoop);
        if (started == null) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("run_id", config.runId());
            run.put("config_sha256", config.fingerprint());
            run.put("data", config.data());
            run.put("data_sha256", stream.dataSha256());
            run.put("created", ContinualJob.now());
            run.put("config", config.dump());
            try {
                Storage.writeJson(uri(RUN), run, hadoop);
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException("dac.output: cannot write the run folder " + runDir + ": " + e.getMessage(), e);
            }
            LOG.info("run '{}': new, in {}", config.runId(), runDir);
        } else if (!config.fingerprint().equals(started.path("config_sha256").asText())) {
            throw new IllegalArgumentException("run '" + config.runId() + "' in " + runDir + " was started with another config; "
                    + "settings that differ: " + differences(RunManifest.JSON.valueToTree(config.dump()), started.path("config"))
                    + ". Resume it with its own config, or give this config a new dac.job.run-id");
        } else {
            checkData(config, stream, started.path("data_sha256"));
        }
        JsonNode json = Storage.readJson(uri(MANIFEST), hadoop);
        RunManifest manifest;
        if (json == null) {
            manifest = new RunManifest();
            manifest.runId = config.runId();
            manifest.configSha256 = config.fingerprint();
            manifest.data = config.data();
            manifest.dataSha256 = stream.dataSha256();
            manifest.datasets = new ArrayList<>(datasets);
            manifest.started = ContinualJob.now();
        } else {
            manifest = RunManifest.JSON.convertValue(json, RunManifest.class);
            if (!manifest.datasets.equals(datasets)) {
                throw new IllegalArgumentException("run '" + config.runId() + "' was trained on tasks " + manifest.datasets + " but "
                        + config.data() + " now holds " + datasets + "; give this data a new dac.job.run-id");
            }
            LOG.info("run '{}': resuming; committed so far: {}", config.runId(), committed(manifest));
        }
        removeUnlisted(manifest);
        return manifest;
    }

    /**
     * Refuses to resume on prepared data other than the run started with (prep run again on the same path with other
     * images, labels or class names): the tasks whose content changed, with both identities.
     */
    private void checkData(JobConfig config, PreparedStream stream, JsonNode startedWith) {
        List<String> changed = new ArrayList<>();
        for (PreparedStream.Task task : stream.tasks()) {
            String was = startedWith.path(task.name()).asText(null);
            if (!task.dataSha256().equals(was)) {
                changed.add("'" + task.name() + "' (now " + task.dataSha256().substring(0, 12) + ", was "
                        + (was == null ? "absent" : was.substring(0, Math.min(12, was.length()))) + ")");
            }
        }
        if (!changed.isEmpty()) {
            throw new IllegalArgumentException("run '" + config.runId() + "' in " + runDir + " was started on other prepared data: "
                    + config.data() + " has changed content in task(s) " + String.join(", ", changed) + " since (prep ran again "
                    + "on that path?). Its results would mix two datasets; prepare into a new path and give the run a new "
                    + "dac.job.run-id, or restore the data it started with");
        }
    }

    /** Fails once this start lost the run's lease: the guard of every write into the run folder (training's too). */
    void checkLease() {
        lease.check();
    }

    /** Writes the results of the committed state into a new folder, then the manifest naming it (last). */
    void commit(SparkSession spark, RunManifest manifest) {
        checkLease();
        String previous = manifest.results;
        int seq = previous == null ? 1 : Integer.parseInt(previous.substring("results/".length(), "results/".length() + 4)) + 1;
        String results = Storage.uniqueName(String.format(Locale.ROOT, "results/%04d", seq), "");
        ResultsWriter.write(spark, runDir, uri(results), manifest);
        manifest.results = results;
        manifest.updated = ContinualJob.now();
        try {
            Storage.publish(uri(MANIFEST), RunManifest.JSON.writeValueAsBytes(manifest), hadoop);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the manifest of run '" + manifest.runId + "'", e);
        }
        if (previous != null) {
            Storage.delete(uri(previous), hadoop);
        }
        manifest.methods.forEach((method, state) -> state.tasks.forEach(t -> {
            if (t.merged() != null) {
                Storage.delete(uri(taskDir(method, t.index() - 1, t.name()) + "/steps"), hadoop);
            }
        }));
    }

    /** Deletes what an interrupted start wrote and no manifest lists (step checkpoints of unfinished tasks stay). */
    private void removeUnlisted(RunManifest manifest) {
        if (!Storage.exists(runDir, hadoop)) {
            return;
        }
        List<String> keep = manifest.listed();
        TreeSet<String> orphans = new TreeSet<>();
        for (String rel : Storage.listFiles(runDir, "", hadoop).keySet()) {
            boolean listed = rel.equals(RUN) || rel.equals(MANIFEST) || rel.equals(RunLease.FILE) || rel.contains("/steps/")
                    || keep.stream().anyMatch(k -> rel.equals(k) || rel.startsWith(k + "/"));
            if (!listed) {
                orphans.add(rel.contains(".parquet/") ? rel.substring(0, rel.indexOf(".parquet/") + ".parquet".length())
                        : rel.startsWith("results/") ? rel.substring(0, rel.indexOf('/', "results/".length())) : rel);
            }
        }
        for (String orphan : orphans) {
            LOG.info("run folder: removing '{}', left by an interrupted start and listed by no manifest", orphan);
            Storage.delete(uri(orphan), hadoop);
        }
    }

    private static String committed(RunManifest m) {
        List<String> parts = new ArrayList<>();
        m.methods.forEach((id, s) -> parts.add(id + " " + s.tasks.size() + "/" + m.datasets.size()));
        return String.join(", ", parts);
    }

    /** Dotted keys whose values differ between two config dumps. */
    static List<String> differences(JsonNode a, JsonNode b) {
        List<String> out = new ArrayList<>();
        diff("", a, b, out);
        return out;
    }

    private static void diff(String prefix, JsonNode a, JsonNode b, List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                diff(prefix.isEmpty() ? k : prefix + "." + k, a.get(k), b.get(k), out);
            }
        } else if (!Objects.equals(a, b)) {
            out.add("dac." + prefix + " (now " + a + ", was " + b + ")");
        }
    }
}
