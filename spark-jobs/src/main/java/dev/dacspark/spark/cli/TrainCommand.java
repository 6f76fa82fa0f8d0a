package dev.dacspark.spark.cli;

import dev.dacspark.cli.TrainLocalCommand;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dac train --config FILE}: the continual-learning job (spark-submit's master, or an embedded one). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run (or resume) the continual-learning job over a prepared task stream (Spark).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Run config (HOCON, keys dac.*).")
    Path config;

    @Option(names = "--run-id", paramLabel = "ID", description = "Overrides dac.job.run-id: a scheduler names each run "
            + "(retries of a run keep its id and resume it).")
    String runId;

    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]; "
            + "local-cluster[N,1,MB] starts N executor JVMs here, one per training rank).")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        JobConfig job = JobConfig.load(config, runId);
        try (LocalSpark.Session session = LocalSpark.session("dac-spark train " + job.runId(), master)) {
            Map<String, ContinualMetrics> results = new ContinualJob(session.spark(), job).run();
            TrainLocalCommand.print(spec.commandLine().getOut(), results);
            spec.commandLine().getOut().println("results: " + job.runDir());
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
