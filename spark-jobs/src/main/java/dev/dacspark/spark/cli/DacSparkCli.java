package dev.dacspark.spark.cli;

import dev.dacspark.cli.DacCli;
import picocli.CommandLine;

/** The full {@code dac} command line: the model-level commands plus the Spark jobs, the run report and the export. */
public final class DacSparkCli {
    private DacSparkCli() {}

    /** The command line, built and not run (the deploy files' tests parse their arguments with it). */
    public static CommandLine commandLine() {
        return DacCli.commandLine().addSubcommand(new PrepCommand()).addSubcommand(new TrainCommand()).addSubcommand(new SweepCommand()).addSubcommand(new TrainLocalCommand())
                .addSubcommand(new EvalCommand()).addSubcommand(new ReportCommand()).addSubcommand(new ExportCommand()).addSubcommand(new DemoCommand()).addSubcommand(new MtilCommand()).addSubcommand(new SparkBenchCommand());
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code); // also ends Spark's non-daemon threads
    }
}
