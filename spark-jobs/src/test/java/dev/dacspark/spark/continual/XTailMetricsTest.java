package dev.dacspark.spark.continual;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * X-TAIL's Transfer / Average / Last of a committed method, as RAIL's code computes them (primal_RAIL.py, the end):
 * over the n x n matrix of the rows after each task (the zero-shot row is no part of them), Transfer = mean over
 * datasets j >= 2 of the mean of acc[i][j] for i < j, Average = mean of every entry, Last = mean of the last row.
 */
class XTailMetricsTest {
    private static final List<String> DATASETS = List.of("a", "b", "c");

    /** A method of three tasks with MTIL rows and other X-TAIL rows. */
    private static RunManifest.MethodState method() {
        RunManifest.MethodState s = new RunManifest.MethodState();
        s.zeroShot = List.of(50.0, 40.0, 30.0);
        s.xTailZeroShot = List.of(45.0, 35.0, 25.0);
        s.tasks.add(task(1, List.of(90.0, 41.0, 31.0), List.of(80.0, 30.0, 20.0)));
        s.tasks.add(task(2, List.of(85.0, 88.0, 32.0), List.of(70.0, 60.0, 10.0)));
        s.tasks.add(task(3, List.of(80.0, 84.0, 86.0), List.of(50.0, 40.0, 90.0)));
        s.complete = true;
        return s;
    }

    private static RunManifest.TaskEntry task(int index, List<Double> mtil, List<Double> xTail) {
        return new RunManifest.TaskEntry(index, DATASETS.get(index - 1), null, null, null, null, mtil, xTail, 0, 0, 0, 1, 1, 0,
                0, 0, 0, 0);
    }

    @Test
    void xTailMetricsOfAThreeTaskMatrixByHand() {
        ContinualMetrics m = method().metrics(EvalSetting.X_TAIL, DATASETS);
        // Transfer: b after task 1 = 30; c after tasks 1, 2 = (20 + 10) / 2 = 15; mean (30 + 15) / 2 = 22.5
        assertEquals(30.0, m.transfer(2), 1e-12);
        assertEquals(15.0, m.transfer(3), 1e-12);
        assertEquals(22.5, m.transfer(), 1e-12);
        // Average: (80 + 30 + 20 + 70 + 60 + 10 + 50 + 40 + 90) / 9 = 450 / 9 = 50
        assertEquals(50.0, m.average(), 1e-12);
        assertEquals((80.0 + 70.0 + 50.0) / 3, m.average(1), 1e-12);
        // Last: (50 + 40 + 90) / 3 = 60
        assertEquals(60.0, m.last(), 1e-12);
        assertEquals(List.of(45.0, 35.0, 25.0), java.util.Arrays.stream(m.zeroShotRow()).boxed().toList());
    }

    @Test
    void eachSettingReadsItsOwnRows() {
        RunManifest.MethodState s = method();
        assertEquals(List.of(EvalSetting.MTIL, EvalSetting.X_TAIL), s.settings());
        assertEquals((90.0 + 41.0 + 31.0 + 85.0 + 88.0 + 32.0 + 80.0 + 84.0 + 86.0) / 9, s.metrics(EvalSetting.MTIL, DATASETS).average(), 1e-12);
        assertEquals(List.of(45.0, 35.0, 25.0), s.rows(EvalSetting.X_TAIL).get(0));
        assertEquals(List.of(70.0, 60.0, 10.0), s.rows(EvalSetting.X_TAIL).get(2));
    }

    @Test
    void theManifestKeepsEachSettingsRowsUnderItsOwnKeys() throws Exception {
        RunManifest manifest = new RunManifest();
        manifest.methods.put("dac", method());
        String json = RunManifest.JSON.writeValueAsString(manifest);
        assertEquals(true, json.contains("\"x_tail_zero_shot\"") && json.contains("\"x_tail\""), json);
        RunManifest back = RunManifest.JSON.readValue(json, RunManifest.class);
        assertEquals(method().rows(EvalSetting.X_TAIL), back.methods.get("dac").rows(EvalSetting.X_TAIL));
        assertEquals(method().rows(EvalSetting.MTIL), back.methods.get("dac").rows(EvalSetting.MTIL));
    }
}
