package dev.dacspark.cli;

import dev.dacspark.bench.ModelBenchmark;
import dev.dacspark.bench.TrainStepBenchmark;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code dac bench model}: benchmarks that print figures. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark and print its figures.")
public final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "WHICH", description = "Benchmark: ${COMPLETION-CANDIDATES}",
            completionCandidates = Which.class)
    String which;

    @Option(names = "--model", defaultValue = "ViT-B/16", description = "Architecture (random weights). Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--batch", split = ",", defaultValue = "1,8",
            description = "Batch sizes (model default 1,8; train-step: use 4 for the reference figure). Default: ${DEFAULT-VALUE}")
    List<Integer> batches;

    @Option(names = "--iters", defaultValue = "5", description = "Timed iterations per batch size. Default: ${DEFAULT-VALUE}")
    int iters;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "train-step: the frozen backbone's dtype, as dac.model.precision (fp32 or fp16). Default: ${DEFAULT-VALUE}")
    String precision;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        switch (which) {
            case "model" -> new ModelBenchmark(InfoCommand.resolveConfig(model), batches, iters, spec.commandLine().getOut()).run();
            case "train-step" -> {
                Precision p = Arrays.stream(Precision.values()).filter(v -> Section.id(v).equals(precision)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("--precision " + precision + ": expected fp32 or fp16"));
                for (int batch : batches) {
                    new TrainStepBenchmark(InfoCommand.resolveConfig(model), p, batch, iters, spec.commandLine().getOut()).run();
                }
            }
            default -> throw new IllegalArgumentException("unknown benchmark '" + which + "'; known: " + String.join(", ", new Which()));
        }
        return 0;
    }

    static final class Which extends java.util.ArrayList<String> {
        Which() {
            super(List.of("model", "train-step"));
        }
    }
}
