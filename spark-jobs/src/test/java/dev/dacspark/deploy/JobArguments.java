package dev.dacspark.deploy;

import dev.dacspark.spark.cli.DacSparkCli;
import org.junit.jupiter.api.Assumptions;
import picocli.CommandLine;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Checks a deploy file's job arguments with the real command line of the job's main class (parsed, not run). */
final class JobArguments {
    private JobArguments() {}

    static final String MAIN_CLASS = "dev.dacspark.spark.cli.DacSparkCli";

    /**
     * Asserts that DacSparkCli accepts {@code args} (its subcommand, required options, no unknown ones). A
     * subcommand that this build does not have yet skips the check (the deploy files may name the coming
     * {@code train} and {@code eval} jobs).
     */
    static void assertAccepted(String where, List<String> args) {
        assertEquals(MAIN_CLASS, DacSparkCli.class.getName());
        CommandLine cl = DacSparkCli.commandLine();
        Assumptions.assumeTrue(cl.getSubcommands().containsKey(args.get(0)),
                where + ": this build has no '" + args.get(0) + "' command yet");
        CommandLine.ParseResult parsed = assertDoesNotThrow(() -> cl.parseArgs(args.toArray(String[]::new)),
                where + ": DacSparkCli does not accept " + args);
        assertEquals(args.get(0), parsed.subcommand().commandSpec().name(), where);
    }
}
