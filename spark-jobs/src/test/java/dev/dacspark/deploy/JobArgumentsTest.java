package dev.dacspark.deploy;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deploy files' argument check fails (never skips) on a command line that DacSparkCli would refuse. */
class JobArgumentsTest {

    @Test
    void aWrongSubcommandFails() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> JobArguments.assertAccepted("deploy file", List.of("trian", "--config", "run.conf")));
        assertTrue(e.getMessage().contains("no 'trian' command"), e.getMessage());
    }

    @Test
    void anUnknownOptionFails() {
        assertThrows(AssertionFailedError.class,
                () -> JobArguments.assertAccepted("deploy file", List.of("train", "--config", "run.conf", "--no-such-option")));
    }

    @Test
    void theJobsCommandLinesPass() {
        JobArguments.assertAccepted("deploy file", List.of("train", "--config", "run.conf"));
        JobArguments.assertAccepted("deploy file", List.of("prep", "--config", "prep.conf"));
    }
}
