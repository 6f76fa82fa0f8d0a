package dev.dacspark.spark.export;

import dev.dacspark.checkpoint.HuggingFaceDirectory;
import dev.dacspark.checkpoint.PeftAdapter;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;

import java.net.URI;
import java.util.Map;

/**
 * One task's results in the formats other libraries load, on any Hadoop URI: the merged model as a Hugging Face model
 * directory, and the merged experts as a PEFT adapter whose README names the model it applies to. The job writes them
 * into the run folder ({@code ContinualJob}), {@code bin/dac export} into a local folder ({@link RunExport}).
 */
public final class TaskExports {
    private TaskExports() {}

    /** Which task of which run a file comes from. */
    public record Task(String runId, String method, int index, String name) {
        /** Its folder name in an export: {@code task-NN-<name>}. */
        public String folder() {
            return RunManifest.taskFolder(index, name);
        }

        @Override
        public String toString() {
            return "task " + index + " '" + name + "' of method " + method + " in run " + runId;
        }
    }

    /**
     * Writes {@code model} as a Hugging Face model directory at {@code uri} with the tokenizer at {@code tokenizerUri}, each
     * weight in its dtype of {@code types} (F32 if none; {@link ClipCheckpoint#halfTypes}).
     */
    public static void modelDirectory(ClipModel model, Map<String, SafeTensors.DType> types, String tokenizerUri, String uri,
            long maxShardBytes, Map<String, String> metadata, Configuration hadoop) {
        java.nio.file.Path tokenizer = Storage.localCopy(tokenizerUri, hadoop);
        Storage.writeDirectory(uri, dir -> HuggingFaceDirectory.write(model, types, tokenizer, dir, maxShardBytes, metadata), hadoop);
    }

    /**
     * Writes the task's merged experts ({@code lora}: its LoRA state, {@code scaling}: DAC's s) as a PEFT adapter at
     * {@code uri}, for the model {@code base} (the model the task started from, a URI; named in the adapter's config and
     * README) of architecture {@code config}.
     */
    public static void adapter(Map<String, SafeTensors.Tensor> lora, double scaling, ClipConfig config, String base, Task task,
            String uri, Configuration hadoop) {
        PeftAdapter adapter = PeftAdapter.ofMergedExperts(lora, scaling, task.toString());
        String name = localName(base);
        String readme = """
                # DAC experts of %s

                A PEFT LoRA adapter: the %d experts per layer that DAC merged after this task (r = %d, lora_alpha = %s, so
                PEFT's scaling lora_alpha / r is DAC's s = %s), on %d layers of both towers.

                Base model: `%s`, the model this task started from (%s). Applied to it, the adapter gives the task's
                merged model:

                ```python
                from transformers import CLIPModel
                from peft import PeftModel
                base = CLIPModel.from_pretrained("%s")   # a Hugging Face model directory of that model
                merged = PeftModel.from_pretrained(base, "ADAPTER_DIR").merge_and_unload()
                ```
                """.formatted(task, adapter.rank(), adapter.rank(), adapter.loraAlpha(), scaling, adapter.modules().size(), name,
                task.index() == 1 ? "the run's base checkpoint, dac.model.checkpoint"
                        : "the merged model of task " + (task.index() - 1) + "; `bin/dac export --format huggingface` writes it as a directory",
                name);
        Storage.writeDirectory(uri, dir -> adapter.write(dir, config, name, readme), hadoop);
    }

    /** A URI as PEFT's {@code base_model_name_or_path} takes it: a local path for {@code file:} URIs, else the URI. */
    static String localName(String uri) {
        URI u = URI.create(uri);
        return u.getScheme() == null || u.getScheme().equals("file") ? u.getPath() : uri;
    }
}
