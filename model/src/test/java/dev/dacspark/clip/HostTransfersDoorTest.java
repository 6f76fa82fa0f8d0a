package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.testing.TransferDoorScan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every transfer between Java and the engine in the model's main code goes through {@link HostTransfers}, so its
 * count covers every code path; the door counts what it moves and leaves no array behind.
 */
class HostTransfersDoorTest {
    static final String DOOR = "dev/dacspark/clip/HostTransfers";

    @Test
    void theModelsMainClassesMoveDataOnlyThroughTheDoor() {
        Path classes = TransferDoorScan.classesOf(HostTransfers.class);
        assertEquals(List.of(), TransferDoorScan.violations(classes, DOOR), "transfers that bypass HostTransfers in " + classes);
    }

    /** What the scan must catch, so that an empty list above means something. */
    static final class Bypasses {
        static void all(NDManager m, NDArray a) {
            m.create(new float[] {1});
            m.create(3L);
            a.toFloatArray();
            a.getFloat();
            a.mul(2f);
            a.add(1);
            a.set(new float[] {1});
        }

        static void none(NDManager m, NDArray a) {
            m.create(new Shape(2));
            m.zeros(new Shape(2));
            m.full(new Shape(2), 1f);
            a.mul(a).clip(0, 1).get(0);
        }
    }

    @Test
    void theScanFindsEveryKindOfBypass() {
        List<String> found = TransferDoorScan.violations(TransferDoorScan.classesOf(Bypasses.class), DOOR).stream()
                .filter(v -> v.startsWith(Bypasses.class.getName() + " ")).toList();
        assertEquals(List.of(
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDArray.add(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDArray.getFloat([J)F",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDArray.mul(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDArray.set([F)V",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDArray.toFloatArray()[F",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDManager.create(J)Lai/djl/ndarray/NDArray;",
                Bypasses.class.getName() + " -> ai.djl.ndarray.NDManager.create([F)Lai/djl/ndarray/NDArray;"),
                found.stream().sorted().toList());
    }

    @Test
    void theDoorCountsWhatItMovesAndLeavesNoArrayBehind() {
        try (NDManager m = NDManager.newBaseManager()) {
            HostTransfers.Count before = HostTransfers.count();
            NDArray a = HostTransfers.float32(m, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray ids = HostTransfers.int64(m, new long[] {7, 8}, new Shape(2));
            int live = m.getManagedArrays().size();
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, HostTransfers.floats(a.transpose())); // a view: DJL copies it to read it
            assertArrayEquals(new long[] {7, 8}, HostTransfers.longs(ids));
            assertArrayEquals(new float[] {7, 8}, HostTransfers.floats(ids));
            assertEquals(live + 1, m.getManagedArrays().size(), "only the transposed view itself is new");
            assertEquals(new HostTransfers.Count(2, 3, 6 * 4 + 2 * 8, 6 * 4 + 2 * 8 + 2 * 4), HostTransfers.count().minus(before));
        }
    }
}
