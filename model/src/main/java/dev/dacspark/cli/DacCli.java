package dev.dacspark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dac} command line. Model-level commands live here; the Spark jobs add theirs with
 * {@link #commandLine()} and {@link CommandLine#addSubcommand}.
 */
@Command(name = "dac", mixinStandardHelpOptions = true, version = "dac-spark 0.1.0",
        description = "DAC continual learning for CLIP: rank-1 expert pool in a single LoRA, on Spark and DJL.",
        subcommands = {InfoCommand.class, ParamsCommand.class, PretrainCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class DacCli {

    /** The command line with the model-level subcommands; errors print as one clear line. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DacCli());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("dac " + line.getCommandName() + ": " + describe(ex));
            if (System.getenv("DAC_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            } else {
                line.getErr().println("(set DAC_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        return cl;
    }

    private static String describe(Throwable ex) {
        String msg = ex.getMessage();
        return msg == null ? ex.getClass().getSimpleName() : msg;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
