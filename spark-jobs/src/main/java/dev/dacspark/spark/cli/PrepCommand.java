package dev.dacspark.spark.cli;

import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dac prep --config FILE}: the prep job on an embedded local Spark master. */
@Command(name = "prep", mixinStandardHelpOptions = true,
        description = "Prepare a task stream into Parquet shards (Spark; local master unless --master is given).")
public final class PrepCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Prep config (HOCON, key dac.prep).")
    Path config;

    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrepConfig prep = PrepConfig.load(config);
        try (LocalSpark.Session session = LocalSpark.session("dac-spark prep", master)) {
            Map<String, Object> manifest = new PrepJob(session.spark(), prep).run();
            spec.commandLine().getOut().println("prepared " + ((Map<?, ?>) manifest.get("tasks")).size() + " task(s) in " + prep.output());
        }
        return 0;
    }
}
