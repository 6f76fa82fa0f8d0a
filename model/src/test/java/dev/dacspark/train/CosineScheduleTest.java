package dev.dacspark.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CosineScheduleTest {

    @Test
    void withoutWarmUpItIsTorchsCosineAnnealing() {
        CosineSchedule s = new CosineSchedule(1e-3, 1e-5, 100);
        assertEquals(1e-3, s.lr(0), 1e-15);
        assertEquals((1e-3 + 1e-5) / 2, s.lr(50), 1e-15);
        assertEquals(1e-5 + (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.99)) / 2, s.lr(99), 1e-15);
    }

    @Test
    void warmUpRisesLinearlyThenTheCosineSpansTheRest() {
        CosineSchedule s = new CosineSchedule(1e-3, 0, 110, 10);
        assertEquals(1e-4, s.lr(0), 1e-15);
        assertEquals(5e-4, s.lr(4), 1e-15);
        assertEquals(1e-3, s.lr(9), 1e-15);
        assertEquals(1e-3, s.lr(10), 1e-15);
        assertEquals(5e-4, s.lr(60), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(1e-3, 0, 10, 10));
    }
}
