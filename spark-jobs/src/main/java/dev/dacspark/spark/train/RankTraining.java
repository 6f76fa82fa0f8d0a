package dev.dacspark.spark.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.data.Sample;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.BatchPlan;
import dev.dacspark.train.Collective;
import dev.dacspark.train.TaskTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One rank's training of one task, wherever the rank runs (a barrier task of a Spark stage, or the
 * driver's own JVM as the one rank of an in-process run): attach fresh pools to the frozen CLIP (the
 * same on every rank) or restore them from the latest step checkpoint, read the rank's shard, train
 * the remaining steps with {@link TaskTrainer} (checkpoints and cross-rank checksums every K steps),
 * and detach the pools again.
 */
final class RankTraining {
    private static final Logger LOG = LoggerFactory.getLogger(RankTraining.class);

    private RankTraining() {}

    /**
     * Trains {@code spec}'s task as rank {@code collective.rank()} of the stage's {@code attempt} on
     * {@code model} (left as it was found); {@code onStep} runs after each step.
     */
    static RankTask.Report run(TrainTaskSpec spec, Collective collective, int attempt, ClipModel model, NDManager parent,
            Configuration hadoop, Runnable onStep) throws Exception {
        int rank = collective.rank();
        TrainTaskSpec.Task task = spec.task();
        TrainTaskSpec.Training training = spec.training();
        String checkpoints = spec.checkpoints().dir();
        NDManager manager = parent.newSubManager();
        ExpertPools pools = ExpertPools.attach(model, training.method());
        try (TaskMemory memory = readMemory(spec.start().memoryUri(), manager, hadoop)) {
            pools.initialize(manager, task.seed()); // the same fresh pools on every rank
            pools.setTraining(true);
            AdamW optimizer = new AdamW(training.adamw(), manager);
            StepCheckpoint.State state = StepCheckpoint.latest(checkpoints, hadoop);
            int start = 0;
            StepCheckpoint.Losses last = null;
            if (state != null) {
                last = state.losses();
                StepCheckpoint.restore(state, pools, optimizer, manager);
                start = state.step();
                LOG.info("rank {}: task '{}' resumes at step {} of {}", rank, task.name(), start, spec.iterations());
            }
            int[] mine = spec.data().shardsOf(rank);
            List<List<Sample>> shards = new ArrayList<>();
            long[] localSizes = new long[mine.length];
            for (int i = 0; i < mine.length; i++) {
                shards.add(ShardReader.read(spec.data().shards().get(mine[i]), hadoop));
                localSizes[i] = shards.get(i).size();
            }
            // every shard's size, in shard order (the ranks hold contiguous shards and gather in rank order)
            int[] sizes = Arrays.stream(collective.gatherLongs(localSizes)).mapToInt(Math::toIntExact).toArray();
            TaskTrainer trainer = new TaskTrainer(model, pools, memory, optimizer, new TaskTrainer.Setup(
                    new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config())), task.classTokens(),
                    task.contextLength(), training.schedule(), new BatchPlan(sizes, training.batchPerShard(), task.seed()),
                    shards, mine, task.seed(), training.frozenAugmentation()), collective, manager);

            long t0 = System.nanoTime();
            for (int t = start; t < spec.iterations(); t++) {
                spec.faults().beforeStep(rank, attempt, t);
                last = StepCheckpoint.Losses.of(trainer.step(t));
                if (!Float.isFinite(last.loss())) {
                    // never let a non-finite step reach a checkpoint; a retry would repeat it (steps are seeded by number)
                    throw new DeterministicFailure("task '" + task.name() + "': non-finite loss at step " + t + " (loss "
                            + last.loss() + ", clip " + last.clip() + ", ago " + last.ago() + "); lower the learning rate ("
                            + training.schedule().lr(t) + " at this step)");
                }
                onStep.run();
                if (collective.worldSize() > 1 && ((t + 1) % spec.checkpoints().checksumEvery() == 0 || t + 1 == spec.iterations())) {
                    verifySameParameters(collective, pools, t + 1);
                }
                if (((t + 1) % spec.checkpoints().every() == 0 || t + 1 == spec.iterations()) && rank == 0) {
                    StepCheckpoint.write(checkpoints, t + 1, last, pools, optimizer, hadoop);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new RankTask.Report(rank, start, last, seconds, trainer.timings(), peakRssMb(), JniUtils.getNumThreads());
        } finally {
            detach(model, pools);
            manager.close();
        }
    }

    /** Fails loudly when the ranks' parameters or counts differ (they must stay identical after every step); one read. */
    private static void verifySameParameters(Collective ring, ExpertPools pools, int step) throws Exception {
        float[] state;
        try (NDScope scope = new NDScope()) {
            state = HostTransfers.floats(pools.flatState());
        }
        ByteBuffer b = ByteBuffer.allocate(state.length * 4);
        b.asFloatBuffer().put(state);
        byte[][] all = ring.allGather(MessageDigest.getInstance("SHA-256").digest(b.array()));
        for (int r = 1; r < all.length; r++) {
            if (!Arrays.equals(all[0], all[r])) {
                throw new IllegalStateException("parameters diverged after step " + step + ": rank " + r
                        + "'s checksum differs from rank 0's; data-parallel training must keep every rank identical");
            }
        }
    }

    /** The AGO memory of the earlier tasks (kept B columns), empty for the first task. */
    private static TaskMemory readMemory(String uri, NDManager manager, Configuration hadoop) throws Exception {
        TaskMemory memory = new TaskMemory(manager);
        if (uri != null) {
            Path p = new Path(URI.create(uri));
            try (InputStream in = p.getFileSystem(hadoop).open(p)) {
                SafeTensors.readAll(in, uri).forEach((k, v) -> memory.put(k, TensorArrays.toNDArray(v, manager)));
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
}
