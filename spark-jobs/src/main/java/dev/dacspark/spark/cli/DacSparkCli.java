package dev.dacspark.spark.cli;

import dev.dacspark.cli.DacCli;

/** The full {@code dac} command line: the model-level commands plus the Spark jobs. */
public final class DacSparkCli {
    private DacSparkCli() {}

    public static void main(String[] args) {
        int code = DacCli.commandLine().addSubcommand(new PrepCommand()).addSubcommand(new TrainCommand()).addSubcommand(new EvalCommand()).addSubcommand(new SparkBenchCommand()).execute(args);
        System.exit(code); // also ends Spark's non-daemon threads
    }
}
