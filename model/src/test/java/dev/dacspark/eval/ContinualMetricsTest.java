package dev.dacspark.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinualMetricsTest {

    /**
     * A 3-task matrix built by hand so each metric can be worked out on paper:
     * rows after tasks 1..3, columns datasets A, B, C.
     */
    static final double[][] ROWS = {
            {60, 40, 30}, // zero-shot
            {90, 42, 33}, // after task 1
            {80, 88, 36}, // after task 2
            {70, 85, 95}, // after task 3
    };

    @Test
    void metricsAsDefined() {
        ContinualMetrics m = ContinualMetrics.of(List.of("A", "B", "C"), ROWS, true);
        // Transfer_B = acc[1][B] = 42; Transfer_C = (33 + 36) / 2 = 34.5; Transfer = 38.25
        assertEquals(42, m.transfer(2), 1e-12);
        assertEquals(34.5, m.transfer(3), 1e-12);
        assertEquals(38.25, m.transfer(), 1e-12);
        // Average_A = (90 + 80 + 70) / 3 = 80; _B = (42 + 88 + 85) / 3 = 71.666..; _C = (33 + 36 + 95) / 3 = 54.666..
        assertEquals(80, m.average(1), 1e-12);
        assertEquals((80 + 215.0 / 3 + 164.0 / 3) / 3, m.average(), 1e-12);
        // Last = (70 + 85 + 95) / 3
        assertEquals(250.0 / 3, m.last(), 1e-12);
        assertEquals(60, m.zeroShotRow()[0]);
        Map<String, Object> map = m.toMap();
        assertEquals(38.25, (double) map.get("transfer"), 1e-12);
        assertTrue(((Map<?, ?>) map.get("per_dataset")).containsKey("C"));
    }

    @Test
    void forgettingIsTheDropFromTheBestAccuracyAfterLearning() {
        ContinualMetrics m = ContinualMetrics.of(List.of("A", "B", "C"), ROWS, true);
        // Forgetting_A = max(90, 80) - 70 = 20; Forgetting_B = 88 - 85 = 3; Forgetting = 11.5
        assertEquals(20, m.forgetting(1), 1e-12);
        assertEquals(3, m.forgetting(2), 1e-12);
        assertEquals(11.5, m.forgetting(), 1e-12);
        IllegalArgumentException lastTask = assertThrows(IllegalArgumentException.class, () -> m.forgetting(3));
        assertTrue(lastTask.getMessage().contains("datasets 1..2"), lastTask.getMessage());
        ContinualMetrics one = ContinualMetrics.of(List.of("A"), new double[][] {{50}, {90}}, true);
        assertThrows(IllegalStateException.class, one::forgetting);
    }

    @Test
    void withoutZeroShotRowTheSameTaskRowsGiveTheSameMetrics() {
        double[][] trained = {ROWS[1], ROWS[2], ROWS[3]};
        ContinualMetrics m = ContinualMetrics.of(List.of("A", "B", "C"), trained, false);
        assertEquals(38.25, m.transfer(), 1e-12);
        assertThrows(IllegalStateException.class, m::zeroShotRow);
    }

    @Test
    void edgeCasesGiveClearErrors() {
        ContinualMetrics one = ContinualMetrics.of(List.of("A"), new double[][] {{50}, {90}}, true);
        assertEquals(90, one.average(), 1e-12);
        IllegalStateException e = assertThrows(IllegalStateException.class, one::transfer);
        assertTrue(e.getMessage().contains("Transfer needs at least two tasks"), e.getMessage());
        assertTrue(!one.toMap().containsKey("transfer"));

        double[][] noZeroShot = {ROWS[1], ROWS[2], ROWS[3]};
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ContinualMetrics.of(List.of("A", "B", "C"), noZeroShot, true));
        assertTrue(missing.getMessage().contains("the zero-shot row is missing"), missing.getMessage());

        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> ContinualMetrics.of(List.of("A", "B"), new double[][] {{1, 2}, {3}}, false));
        assertTrue(ragged.getMessage().contains("row 1"), ragged.getMessage());
    }
}
