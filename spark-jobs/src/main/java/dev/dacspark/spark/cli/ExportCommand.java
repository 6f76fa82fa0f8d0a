package dev.dacspark.spark.cli;

import dev.dacspark.checkpoint.HuggingFaceDirectory;
import dev.dacspark.spark.export.RunExport;
import dev.dacspark.spark.storage.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dac export --run URI [--task N] [--method M] --format huggingface|openai|peft --out DIR}: a run's merged models
 * or merged experts in the formats transformers, open_clip and PEFT load ({@link RunExport}), read through the run's
 * manifest with the Hadoop FileSystem API (no Spark job; Hadoop settings as for {@code report}).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a run's tasks: merged models as Hugging Face or open_clip directories, or merged experts as PEFT adapters.")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, paramLabel = "URI", description = "A run folder, <dac.output>/<run-id> (local path or Hadoop URI).")
    String run;

    @Option(names = "--task", paramLabel = "N", description = "Only task N (1-based); default: every committed task.")
    Integer task;

    @Option(names = "--method", paramLabel = "M", description = "Only method M (e.g. dac); default: every trained method.")
    String method;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "huggingface, openai or peft.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Local folder: <DIR>/<method>/task-NN-<name>/.")
    Path out;

    @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = "50GB",
            description = "huggingface: the largest weights file (e.g. 2GB) before the weights are sharded with an index, as transformers' "
                    + "save_pretrained; default ${DEFAULT-VALUE}, transformers' own.")
    String maxShardSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RunExport.Format f = switch (format.toLowerCase(Locale.ROOT)) {
            case "huggingface", "hf" -> RunExport.Format.HUGGINGFACE;
            case "openai", "open_clip", "openclip" -> RunExport.Format.OPENAI;
            case "peft" -> RunExport.Format.PEFT;
            default -> throw new IllegalArgumentException("--format '" + format + "': one of huggingface, openai, peft");
        };
        long shard;
        try {
            shard = HuggingFaceDirectory.parseSize(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--max-shard-size: " + e.getMessage(), e);
        }
        List<Path> written = RunExport.export(Storage.location(null, run), task, method, f, out, shard, ReportCommand.hadoopConfiguration());
        written.forEach(p -> spec.commandLine().getOut().println(p.toAbsolutePath()));
        spec.commandLine().getOut().println("exported " + written.size() + " task(s) as " + f.name().toLowerCase(Locale.ROOT) + " into "
                + out.toAbsolutePath());
        return 0;
    }
}
