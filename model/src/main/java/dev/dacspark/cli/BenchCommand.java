package dev.dacspark.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.dacspark.bench.GpuCheck;
import dev.dacspark.bench.ModelBenchmark;
import dev.dacspark.bench.TrainStepBenchmark;
import dev.dacspark.clip.Precision;
import dev.dacspark.golden.GoldenSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code dac bench model|train-step|gpu}: benchmarks that print figures ({@code gpu}: the check of a CUDA machine, {@link GpuCheck}). */
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

    @Option(names = "--device", description = "Device (gpu: default cuda:0; model, train-step: the engine's default): cpu or cuda:N")
    String device;

    @Option(names = "--precision", split = ",", description = "train-step, gpu: the frozen backbone's dtypes, values of "
            + "dac.model.precision (fp32, fp16). Default: train-step fp32; gpu fp32,fp16")
    List<String> precisions;

    @Option(names = "--golden", defaultValue = "${sys:dac.home:-.}/../shared/golden",
            description = "gpu: the golden set's directory (config A). Default: ${DEFAULT-VALUE}")
    Path golden;

    @Option(names = "--out", defaultValue = "gpu-check.md", description = "gpu: where the table is written. Default: ${DEFAULT-VALUE}")
    Path table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        switch (which) {
            case "model" -> new ModelBenchmark(InfoCommand.resolveConfig(model), batches, iters, spec.commandLine().getOut()).run();
            case "train-step" -> {
                Device on = device == null ? Engine.getInstance().defaultDevice() : GpuCheck.device(device);
                for (Precision p : precisions(List.of("fp32"))) {
                    for (int batch : batches) {
                        new TrainStepBenchmark(InfoCommand.resolveConfig(model), on, p, batch, iters, spec.commandLine().getOut()).run();
                    }
                }
            }
            case "gpu" -> {
                // one batch size; 32 (the paper's) unless --batch says otherwise
                int batch = spec.commandLine().getParseResult().hasMatchedOption("--batch") ? batches.get(0) : 32;
                List<GpuCheck.Row> rows = new GpuCheck(GpuCheck.device(device == null ? "cuda:0" : device), new GoldenSet(golden, "A"),
                        InfoCommand.resolveConfig(model), model, batch, iters, precisions(List.of("fp32", "fp16")), spec.commandLine().getOut())
                        .run(table);
                return rows.stream().allMatch(GpuCheck.Row::passed) ? 0 : 1;
            }
            default -> throw new IllegalArgumentException("unknown benchmark '" + which + "'; known: " + String.join(", ", new Which()));
        }
        return 0;
    }

    /** --precision's values, or {@code byDefault} without it. */
    private List<Precision> precisions(List<String> byDefault) {
        return (precisions == null ? byDefault : precisions).stream().map(p -> Precision.of(p.trim(), "--precision")).toList();
    }

    static final class Which extends java.util.ArrayList<String> {
        Which() {
            super(List.of("model", "train-step", "gpu"));
        }
    }
}
