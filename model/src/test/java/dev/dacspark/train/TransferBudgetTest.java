package dev.dacspark.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.testing.GoldenTraining;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training step at W = 1 moves at most 12 arrays between Java and the device: the batch in, the losses out and
 * a few more; no scalar uploads, no per-layer routing reads, no optimiser round trips.
 */
class TransferBudgetTest {
    static final int BUDGET = 12;

    @Test
    void aStepInOneProcessStaysWithinTheBudget() {
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = GoldenTraining.model(m);
            ExpertPools pools = ExpertPools.attach(model, GoldenTraining.method().withDropout(0.2));
            for (ExpertPool pool : pools.pools().values()) { // an earlier task's columns: the AGO term acts
                memory.append(pool.name(), m.randomNormal(new Shape(pool.loraB.shape().get(0), 4)));
            }
            TaskTrainer trainer = GoldenTraining.trainer(model, pools, memory, 1, 4, Collective.SINGLE, m);
            trainer.step(0); // the first step makes the optimiser's state
            for (int t = 1; t < 4; t++) {
                HostTransfers.Count before = HostTransfers.count();
                trainer.step(t);
                HostTransfers.Count step = HostTransfers.count().minus(before);
                System.out.printf("step %d: %d transfers (%d to the device, %d to the host, %d + %d bytes)%n", t, step.transfers(),
                        step.toDevice(), step.toHost(), step.bytesToDevice(), step.bytesToHost());
                assertTrue(step.transfers() <= BUDGET, "step " + t + ": " + step + ", budget " + BUDGET);
            }
        }
    }
}
