package dev.dacspark.cli;

import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code dac info --model NAME|PATH}: architecture and parameter counts. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a model's config and parameter counts (a named architecture or a checkpoint).")
public final class InfoCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME|PATH",
            description = "A named architecture (${COMPLETION-CANDIDATES}) or a safetensors checkpoint file or directory.",
            completionCandidates = ModelNames.class)
    String model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ClipConfig config = resolveConfig(model);
        ClipModel clip = new ClipModel(config); // declares shapes only; no weights are allocated
        out.println("model: " + model);
        config.describe().forEach((k, v) -> out.println("  " + k + ": " + v));
        out.printf("vision parameters: %d%n", clip.visual.parameterCount());
        out.printf("text parameters: %d%n", clip.text.parameterCount());
        out.printf("parameters: %d%n", clip.parameterCount());
        out.flush();
        return 0;
    }

    /** A named architecture, or the config of a checkpoint at that path. */
    static ClipConfig resolveConfig(String model) {
        if (ClipConfig.NAMED.containsKey(model)) {
            return ClipConfig.named(model);
        }
        Path p = Path.of(model);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("--model '" + model + "' is neither a known name ("
                    + String.join(", ", new java.util.TreeSet<>(ClipConfig.NAMED.keySet())) + ") nor an existing path");
        }
        return ClipCheckpoint.read(p).config();
    }

    /** Completion candidates for --model. */
    static final class ModelNames extends java.util.TreeSet<String> {
        ModelNames() {
            super(ClipConfig.NAMED.keySet());
        }
    }
}
