package dev.dacspark.spark.export;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.OpenClipDirectory;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/dac export}: a finished (or partly committed) run's tasks in the formats other libraries load, read
 * through the run's manifest and {@code _run.json} alone (no Spark), so runs made before the job wrote these formats
 * export too. Per trained method and task, into {@code <out>/<method>/task-NN-<name>/}:
 * <ul>
 *   <li>{@code huggingface}: the merged model as a Hugging Face model directory (the run's tokenizer, {@code
 *       dac.model.tokenizer});</li>
 *   <li>{@code openai}: the merged model as an open_clip directory ({@code open_clip_model.safetensors}, OpenAI
 *       names);</li>
 *   <li>{@code peft}: the merged experts (from the task's {@code lora-*.safetensors}) as a PEFT adapter in {@code
 *       adapter/}, for the run's base checkpoint (task 1) or the previous task's {@code huggingface} export in the same
 *       folder.</li>
 * </ul>
 */
public final class RunExport {
    private RunExport() {}

    /** The export formats. */
    public enum Format { HUGGINGFACE, OPENAI, PEFT }

    /**
     * Exports the committed tasks of the run at {@code runUri} (all, or the 1-based {@code task}) of every trained
     * method (or {@code method}) into {@code out}; returns the folders written.
     */
    public static List<Path> export(String runUri, Integer task, String method, Format format, Path out, long maxShardBytes,
            Configuration hadoop) {
        String run = runUri.replaceAll("/+$", "");
        RunManifest manifest = RunManifest.read(run, hadoop);
        JsonNode started = Storage.readJson(run + "/_run.json", hadoop);
        if (started == null) {
            throw new IllegalArgumentException(run + "/_run.json does not exist: the run folder has a manifest but not the config it "
                    + "was started with");
        }
        JsonNode config = started.path("config");
        List<String> methods = new ArrayList<>();
        manifest.methods.forEach((id, state) -> {
            if (state.tasks.stream().anyMatch(t -> t.merged() != null) && (method == null || method.equals(id))) {
                methods.add(id);
            }
        });
        if (methods.isEmpty()) {
            throw new IllegalArgumentException(run + ": " + (method == null ? "no method has a trained task committed"
                    : "method '" + method + "' has no trained task committed; trained: " + trained(manifest)));
        }
        List<Path> written = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String id : methods) {
                List<RunManifest.TaskEntry> tasks = manifest.methods.get(id).tasks;
                if (task != null && (task < 1 || task > tasks.size())) {
                    throw new IllegalArgumentException("--task " + task + ": method " + id + " of run " + manifest.runId + " has "
                            + tasks.size() + " committed task(s) of " + manifest.datasets.size());
                }
                for (RunManifest.TaskEntry entry : tasks) {
                    if (task == null || entry.index() == task) {
                        TaskExports.Task t = new TaskExports.Task(manifest.runId, id, entry.index(), entry.name());
                        Path dir = out.resolve(id).resolve(t.folder());
                        written.add(exportTask(run, config, entry, t, tasks, format, dir, maxShardBytes, hadoop, manager));
                    }
                }
            }
        }
        return written;
    }

    private static Path exportTask(String run, JsonNode config, RunManifest.TaskEntry entry, TaskExports.Task t,
            List<RunManifest.TaskEntry> tasks, Format format, Path dir, long maxShardBytes, Configuration hadoop, NDManager manager) {
        String merged = run + "/" + entry.merged();
        Map<String, String> provenance = Map.of("run_id", t.runId(), "method", t.method(), "task", t.name(),
                "task_index", Integer.toString(t.index()), "source", merged);
        switch (format) {
            case HUGGINGFACE, OPENAI -> {
                try (NDManager m = manager.newSubManager()) {
                    ClipModel model = ClipCheckpoint.load(Storage.localCopy(merged, hadoop), m);
                    if (format == Format.OPENAI) {
                        OpenClipDirectory.write(model, dir, provenance);
                    } else {
                        TaskExports.modelDirectory(model, Map.of(), setting(config, run, "model", "tokenizer"), Storage.location(null, dir.toString()),
                                maxShardBytes, provenance, hadoop);
                    }
                }
                return dir;
            }
            case PEFT -> {
                String loraUri = run + "/" + entry.lora();
                Map<String, SafeTensors.Tensor> lora = Storage.readSafeTensors(loraUri, hadoop);
                double alpha = Double.parseDouble(setting(config, run, "method", "alpha"));
                int rank = Integer.parseInt(setting(config, run, "method", "rank"));
                lora.forEach((k, v) -> {
                    if (k.endsWith(".lora_A") && v.shape()[0] != rank) {
                        throw new IllegalArgumentException(loraUri + ": '" + k + "' has " + v.shape()[0] + " experts, the run's "
                                + "dac.method.rank is " + rank + " (" + run + "/_run.json)");
                    }
                });
                ClipConfig architecture = ClipCheckpoint.read(Storage.localCopy(merged, hadoop)).config();
                String base = t.index() == 1 ? setting(config, run, "model", "checkpoint")
                        : Storage.location(null, dir.resolveSibling(new TaskExports.Task(t.runId(), t.method(), t.index() - 1,
                                tasks.get(t.index() - 2).name()).folder()).toString());
                Path adapterDir = dir.resolve("adapter");
                TaskExports.adapter(lora, alpha / rank, architecture, base, t, Storage.location(null, adapterDir.toString()), hadoop);
                return adapterDir;
            }
            default -> throw new IllegalStateException(format.toString());
        }
    }

    /** A setting of the run's config as {@code _run.json} records it ({@code config.<section>.<key>}). */
    private static String setting(JsonNode config, String run, String section, String key) {
        JsonNode v = config.path(section).path(key);
        if (!v.isValueNode() || v.isNull()) {
            throw new IllegalArgumentException(run + "/_run.json: no 'config." + section + "." + key + "' (dac." + section + "." + key
                    + " of the run's config)");
        }
        return v.asText();
    }

    private static List<String> trained(RunManifest manifest) {
        return manifest.methods.entrySet().stream().filter(e -> e.getValue().tasks.stream().anyMatch(t -> t.merged() != null))
                .map(Map.Entry::getKey).toList();
    }
}
