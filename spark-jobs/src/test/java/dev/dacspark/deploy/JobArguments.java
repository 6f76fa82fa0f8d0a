package dev.dacspark.deploy;

import dev.dacspark.spark.cli.DacSparkCli;
import picocli.CommandLine;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks a deploy file's job arguments with the real command line of the job's main class (parsed, not run). */
final class JobArguments {
    private JobArguments() {}

    static final String MAIN_CLASS = "dev.dacspark.spark.cli.DacSparkCli";

    /**
     * Asserts that DacSparkCli accepts {@code args}: its subcommand exists (a deploy file naming a wrong one
     * fails), its required options are there and it has no unknown ones.
     */
    static void assertAccepted(String where, List<String> args) {
        assertEquals(MAIN_CLASS, DacSparkCli.class.getName());
        CommandLine cl = DacSparkCli.commandLine();
        assertTrue(cl.getSubcommands().containsKey(args.get(0)),
                where + ": DacSparkCli has no '" + args.get(0) + "' command (it has " + cl.getSubcommands().keySet() + ")");
        CommandLine.ParseResult parsed = assertDoesNotThrow(() -> cl.parseArgs(args.toArray(String[]::new)),
                where + ": DacSparkCli does not accept " + args);
        assertEquals(args.get(0), parsed.subcommand().commandSpec().name(), where);
    }
}
