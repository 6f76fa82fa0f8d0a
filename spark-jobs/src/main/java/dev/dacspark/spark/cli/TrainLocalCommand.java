package dev.dacspark.spark.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code dac train-local --config FILE}: the continual-learning job of {@code train} with every task
 * trained in this JVM (one rank, no barrier stage); the same run folder, files and results as
 * {@code train} at {@code dac.job.workers = 1}.
 */
@Command(name = "train-local", mixinStandardHelpOptions = true,
        description = "Run (or resume) the continual-learning job with each task trained in this process (one rank, no barrier "
                + "stage): the same job, files and results as `train` with dac.job.workers = 1. Scoring runs on a local Spark master.")
public final class TrainLocalCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Run config (HOCON, keys dac.*), as for train.")
    Path config;

    @Option(names = "--run-id", paramLabel = "ID", description = "Overrides dac.job.run-id.")
    String runId;

    @Option(names = "--master", description = "Spark master of the scoring (default: spark-submit's, else local[*]).")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return TrainCommand.run("train-local", config, runId, master, true, spec.commandLine().getOut());
    }
}
