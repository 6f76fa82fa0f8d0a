package dev.dacspark.spark;

import dev.dacspark.spark.train.RankTask;
import dev.dacspark.testing.TransferDoorScan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every transfer between Java and the engine in the Spark jobs goes through the model's {@code clip.HostTransfers}
 * (the model's own classes are checked by its twin in the model module), so the count covers every code path.
 */
class HostTransfersDoorTest {

    @Test
    void theSparkJobsMoveDataOnlyThroughTheDoor() {
        Path classes = TransferDoorScan.classesOf(RankTask.class);
        assertEquals(List.of(), TransferDoorScan.violations(classes, "dev/dacspark/clip/HostTransfers"),
                "transfers that bypass HostTransfers in " + classes);
    }
}
