package dev.dacspark.spark.train;

import ai.djl.Device;
import dev.dacspark.train.TaskTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

import java.io.Serializable;
import java.net.ServerSocket;
import java.util.List;

/**
 * What one barrier task (one rank) does: take its device and the cached frozen CLIP of its executor
 * JVM, link the ring, and train as {@link RankTraining} does. Rank 0 reports the losses; every rank
 * ends with the same parameters (checked).
 */
public final class RankTask implements Serializable {
    /**
     * What a rank reports at the end: its rank, the step it started from, the last step's losses (from
     * the checkpoint when there was no step left to train), time, its JVM's peak resident memory, and the
     * intra-op threads of libtorch it trained with.
     */
    public record Report(int rank, int startStep, StepCheckpoint.Losses losses, double seconds, TaskTrainer.Timings timings,
            double peakRssMb, int intraOpThreads) implements Serializable {}

    private final TrainTaskSpec spec;
    private final SerializableConfiguration hadoop;
    private final LongAccumulator steps;

    RankTask(TrainTaskSpec spec, Configuration hadoop, LongAccumulator steps) {
        this.spec = spec;
        this.hadoop = new SerializableConfiguration(hadoop);
        this.steps = steps;
    }

    Report run(BarrierTaskContext ctx) throws Exception {
        int rank = ctx.partitionId();
        Device device = TaskEngine.start(ctx); // fails here when a GPU was asked for and none is usable
        // the model first, before the rendezvous: a rank of a failed attempt may still hold it for up to
        // one socket timeout, and the peers wait for the rendezvous with the (longer) barrier timeout
        String verdict = StageVerdict.read(spec.checkpoints().dir(), hadoop.value());
        if (verdict != null) { // an earlier attempt met a failure that this one would repeat
            throw new DeterministicFailure(verdict);
        }
        try (ExecutorModels.Lease lease = ExecutorModels.acquire(spec.start().baseCheckpoint(), spec.start().precision(), device, hadoop.value(),
                2L * spec.checkpoints().timeoutMillis() + 60_000)) {
            return train(ctx, rank, lease);
        } catch (DeterministicFailure | IllegalArgumentException e) {
            StageVerdict.write(spec.checkpoints().dir(), "rank " + rank + ": " + e.getMessage(), hadoop.value());
            throw e;
        }
    }

    private Report train(BarrierTaskContext ctx, int rank, ExecutorModels.Lease lease) throws Exception {
        ServerSocket server = RingCollective.listen(host(ctx));
        String[] addresses;
        try {
            addresses = ctx.allGather(RingCollective.address(server)); // rendezvous, in rank order
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        try (RingCollective ring = RingCollective.connect(rank, List.of(addresses), server, spec.checkpoints().timeoutMillis())) {
            return RankTraining.run(spec, ring, ctx.stageAttemptNumber(), lease.model(), lease.manager(), hadoop.value(), () -> {
                ctx.killTaskIfInterrupted(); // a cancelled or failed stage: stop at this step, before the next checkpoint
                if (rank == 0) {
                    steps.add(1);
                }
            });
        } catch (Throwable failure) {
            // a task that failed midway (a dead peer, a kill) may leave native state behind: the next task
            // on this JVM loads the frozen CLIP afresh rather than trusting the cached one
            lease.invalidate();
            throw failure;
        }
    }

    private static String host(BarrierTaskContext ctx) {
        String local = System.getenv("SPARK_LOCAL_IP");
        return local != null ? local : ctx.getTaskInfos()[ctx.partitionId()].address().split(":")[0];
    }
}
