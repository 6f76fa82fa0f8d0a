package dev.dacspark.train;

import ai.djl.ndarray.NDManager;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.testing.GoldenTraining;
import dev.dacspark.testing.LiveArrays;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * No native array outlives its step or its task: several tasks trained one after the other in one JVM, as a rank
 * and the continual loop do (fresh pools on a task's own manager, the steps, the merge into the model, the AGO
 * memory kept), leave the number of live arrays under the run's manager the same after every step from the second
 * on, and the same after every task from the second on (the first task adds the AGO memory's arrays).
 */
class NativeMemoryTest {
    static final int TASKS = 4;
    static final int STEPS = 3;

    @Test
    void liveArraysDoNotGrowWithStepsOrTasks() {
        List<Integer> afterTask = new ArrayList<>();
        try (NDManager run = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(run)) {
            ClipModel model = GoldenTraining.model(run);
            for (int task = 0; task < TASKS; task++) {
                List<Integer> afterStep = new ArrayList<>();
                try (NDManager taskManager = run.newSubManager()) {
                    ExpertPools pools = ExpertPools.attach(model, GoldenTraining.method());
                    TaskTrainer trainer = GoldenTraining.trainer(model, pools, memory, task, STEPS, Collective.SINGLE, taskManager);
                    for (int t = 0; t < STEPS; t++) {
                        trainer.step(t);
                        afterStep.add(LiveArrays.under(run));
                    }
                    pools.mergeAndDetach(memory);
                }
                for (int t = 2; t < STEPS; t++) {
                    assertEquals(afterStep.get(1), afterStep.get(t), "task " + task + ": live arrays after each step " + afterStep);
                }
                afterTask.add(LiveArrays.under(run));
            }
        }
        for (int task = 2; task < TASKS; task++) {
            assertEquals(afterTask.get(1), afterTask.get(task), "live arrays after each task " + afterTask);
        }
    }
}
