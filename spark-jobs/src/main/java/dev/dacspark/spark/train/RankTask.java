package dev.dacspark.spark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Param;
import dev.dacspark.data.Sample;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.BatchPlan;
import dev.dacspark.train.TaskTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.io.Serializable;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What one barrier task (one rank) does: take its device, link the ring, load the cached frozen
 * CLIP, attach fresh pools or restore them from the latest step checkpoint, read its shard, train
 * the task's remaining steps (checkpoints and checksums every K steps), and detach the pools.
 * Rank 0 reports the losses; every rank ends with the same parameters (checked).
 */
public final class RankTask implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);

    /**
     * What a rank reports at the end: its rank, the step it started from, the last step's losses (from
     * the checkpoint when there was no step left to train), time, and its JVM's peak resident memory.
     */
    public record Report(int rank, int startStep, StepCheckpoint.Losses losses, double seconds, TaskTrainer.Timings timings,
            double peakRssMb) implements Serializable {}

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
        Device device = ExecutorModels.device(ctx);
        // the model first, before the rendezvous: a rank of a failed attempt may still hold it for up to
        // one socket timeout, and the peers wait for the rendezvous with the (longer) barrier timeout
        try (ExecutorModels.Lease lease = ExecutorModels.acquire(spec.baseCheckpoint(), device, hadoop.value(),
                2L * spec.timeoutMillis() + 60_000)) {
            return train(ctx, rank, lease);
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
        ClipModel model = lease.model();
        NDManager manager = lease.manager().newSubManager();
        ExpertPools pools = ExpertPools.attach(model, spec.method());
        try (RingCollective ring = RingCollective.connect(rank, List.of(addresses), server, spec.timeoutMillis());
                TaskMemory memory = readMemory(manager)) {
            pools.initialize(manager, spec.seed()); // the same fresh pools on every rank
            pools.setTraining(true);
            AdamW optimizer = new AdamW(spec.adamw(), manager);
            StepCheckpoint.State state = StepCheckpoint.latest(spec.checkpointDir(), hadoop.value());
            int start = 0;
            StepCheckpoint.Losses last = null;
            if (state != null) {
                last = state.losses();
                StepCheckpoint.restore(state, pools, optimizer, manager);
                start = state.step();
                LOG.info("rank {}: task '{}' resumes at step {} of {}", rank, spec.taskName(), start, spec.iterations());
            }
            List<Sample> shard = ShardReader.read(spec.shardFiles().get(rank), hadoop.value());
            long[] shardSizes = ring.gatherLongs(new long[] {shard.size()});
            int[] sizes = Arrays.stream(shardSizes).mapToInt(Math::toIntExact).toArray();
            TaskTrainer trainer = new TaskTrainer(model, pools, memory, optimizer, new TaskTrainer.Setup(
                    new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config())), spec.classTokens(),
                    spec.contextLength(), spec.schedule(), new BatchPlan(sizes, spec.batchPerRank(), spec.seed()),
                    List.of(shard), new int[] {rank}, spec.seed(), spec.frozenAugmentation()), ring, manager);

            long t0 = System.nanoTime();
            for (int t = start; t < spec.iterations(); t++) {
                injectFaults(ctx, rank, t);
                last = StepCheckpoint.Losses.of(trainer.step(t));
                if (!Float.isFinite(last.loss())) {
                    // never let a non-finite step reach a checkpoint: the stage fails and restarts from the last good one
                    throw new IllegalStateException("rank " + rank + ": task '" + spec.taskName() + "': non-finite loss at step "
                            + t + " (loss " + last.loss() + ", clip " + last.clip() + ", ago " + last.ago() + ")");
                }
                if (rank == 0) {
                    steps.add(1);
                }
                boolean boundary = (t + 1) % spec.checkpointEvery() == 0 || t + 1 == spec.iterations();
                if ((t + 1) % spec.checksumEvery() == 0 || t + 1 == spec.iterations()) {
                    verifySameParameters(ring, pools, t + 1);
                }
                if (boundary && rank == 0) {
                    StepCheckpoint.write(spec.checkpointDir(), t + 1, last, pools, optimizer, hadoop.value());
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Report(rank, start, last, seconds, trainer.timings(), peakRssMb());
        } catch (Throwable failure) {
            // a task that failed midway (a dead peer, a kill) may leave native state behind: the next task
            // on this JVM loads the frozen CLIP afresh rather than trusting the cached one
            lease.invalidate();
            throw failure;
        } finally {
            detach(model, pools);
            manager.close();
        }
    }

    /** Fails loudly when the ranks' parameters differ (they must stay identical after every step). */
    private static void verifySameParameters(RingCollective ring, ExpertPools pools, int step) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Map.Entry<String, Param> e : pools.parameters().entrySet()) {
            float[] v = e.getValue().array().toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4);
            b.asFloatBuffer().put(v);
            sha.update(b.array());
        }
        for (ExpertPool pool : pools.pools().values()) {
            for (float c : pool.counts()) {
                sha.update(ByteBuffer.allocate(4).putFloat(c).array());
            }
        }
        byte[][] all = ring.allGather(sha.digest());
        for (int r = 1; r < all.length; r++) {
            if (!Arrays.equals(all[0], all[r])) {
                throw new IllegalStateException("parameters diverged after step " + step + ": rank " + r
                        + "'s checksum differs from rank 0's; data-parallel training must keep every rank identical");
            }
        }
    }

    /** Test hooks: an executor that dies once (first attempt only), or a rank that hangs on every attempt. */
    private void injectFaults(BarrierTaskContext ctx, int rank, int step) throws InterruptedException {
        if (rank != spec.failRank()) {
            return;
        }
        if (step == spec.failAtStep() && ctx.stageAttemptNumber() == 0) {
            LOG.warn("rank {}: test hook: ending this executor JVM at step {}", rank, step);
            Runtime.getRuntime().halt(17);
        }
        if (step == spec.hangAtStep()) {
            LOG.warn("rank {}: test hook: hanging at step {}", rank, step);
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private TaskMemory readMemory(NDManager manager) throws Exception {
        TaskMemory memory = new TaskMemory(manager);
        if (spec.memoryUri() != null) {
            Path p = new Path(URI.create(spec.memoryUri()));
            try (InputStream in = p.getFileSystem(hadoop.value()).open(p)) {
                SafeTensors.readAll(in, spec.memoryUri()).forEach((k, v) -> memory.put(k, TensorArrays.toNDArray(v, manager)));
            }
        }
        return memory;
    }

    /** Removes the pools from the cached model: the frozen CLIP stays as it was loaded. */
    private static void detach(ClipModel model, ExpertPools pools) {
        Map<String, Module> modules = model.namedModules();
        for (String name : pools.pools().keySet()) {
            if (modules.get(name) instanceof Linear linear) {
                linear.detach();
            }
        }
    }

    /** VmHWM of this JVM (Linux), NaN where /proc is not available. */
    private static double peakRssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return Double.NaN;
    }

    private static String host(BarrierTaskContext ctx) {
        String local = System.getenv("SPARK_LOCAL_IP");
        return local != null ? local : ctx.getTaskInfos()[ctx.partitionId()].address().split(":")[0];
    }
}
