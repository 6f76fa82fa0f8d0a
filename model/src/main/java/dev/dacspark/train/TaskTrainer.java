package dev.dacspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Param;
import dev.dacspark.data.Sample;
import dev.dacspark.data.Seeds;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training of one task, one step at a time, on this rank's shards of the task's data: the same code
 * for a single process (every shard local, {@link Collective#SINGLE}) and for each rank of a
 * data-parallel run (its own shard, a ring collective).
 *
 * <pre>
 *   batch   = b samples of every local shard at step t (BatchPlan), augmented with a seed of
 *             (task seed, sample id[, step]) so a sample's crop does not depend on the rank
 *   forward = DacStep (global loss over gathered embeddings; votes summed over ranks)
 *   grads   = summed over ranks (one flat buffer in parameter-name order)
 *   update  = AdamW at the cosine schedule's rate
 * </pre>
 * Every step's arrays live in the step's {@link NDScope}; what outlives it (parameters, optimiser state, counts)
 * replaces the previous step's, so a task's native memory does not grow with its steps.
 */
public final class TaskTrainer {

    /** What a task's training needs besides the model. */
    public record Setup(ClipImageProcessor processor, long[] classTokens, int contextLength, CosineSchedule schedule,
            BatchPlan plan, List<List<Sample>> localShards, int[] localShardIds, long seed, boolean frozenAugmentation) {}

    private final ClipModel model;
    private final ExpertPools pools;
    private final TaskMemory memory;
    private final AdamW optimizer;
    private final Setup setup;
    private final TimedCollective collective;
    private final NDManager manager;
    private final Map<String, float[]> frozenCrops = new HashMap<>();
    private int steps;
    private long dataNanos;
    private long stepNanos;
    private HostTransfers.Count transfers = new HostTransfers.Count(0, 0, 0, 0);
    private ByteBuffer gradients; // the flat gradient buffer on the host (direct: the collective sends it as it is)

    /**
     * Where a rank's training time went: building batches, collective operations, the rest (compute); and the
     * device-host transfers of its steps (all of them together).
     */
    public record Timings(int steps, double dataSeconds, double communicationSeconds, double computeSeconds,
            HostTransfers.Count transfers) implements java.io.Serializable {
        /** Transfers (both directions) per step. */
        public double transfersPerStep() {
            return (double) transfers.transfers() / steps;
        }
    }

    public TaskTrainer(ClipModel model, ExpertPools pools, TaskMemory memory, AdamW optimizer, Setup setup,
            Collective collective, NDManager manager) {
        this.model = model;
        this.pools = pools;
        this.memory = memory;
        this.optimizer = optimizer;
        this.setup = setup;
        this.collective = new TimedCollective(collective);
        this.manager = manager;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Step t: forward, backward, gradient sum over ranks, AdamW. */
    public DacStep.Losses step(int t) {
        long t0 = System.nanoTime();
        HostTransfers.Count before = HostTransfers.count();
        long dropoutSeed = Seeds.mix(setup.seed(), collective.rank(), t); // LoRA dropout: the CPU's generators, or the device's
        pools.seedDropout(dropoutSeed);
        Engine.getInstance().setRandomSeed((int) dropoutSeed);
        int res = setup.processor().config().resolution();
        int n = setup.processor().imageLength();
        int b = setup.plan().batchPerShard();
        int local = setup.localShards().size() * b;
        float[] pixels = new float[local * n];
        long[] labels = new long[local];
        long[] tokens = new long[local * setup.contextLength()];
        int i = 0;
        for (int s = 0; s < setup.localShards().size(); s++) {
            List<Sample> shard = setup.localShards().get(s);
            for (int index : setup.plan().indices(setup.localShardIds()[s], t)) {
                Sample sample = shard.get(index);
                System.arraycopy(augmented(sample, t), 0, pixels, i * n, n);
                labels[i] = sample.label();
                System.arraycopy(setup.classTokens(), sample.label() * setup.contextLength(), tokens, i * setup.contextLength(),
                        setup.contextLength());
                i++;
            }
        }
        long t1 = System.nanoTime();
        dataNanos += t1 - t0;
        try (NDScope scope = new NDScope()) {
            NDArray images = HostTransfers.float32(manager, pixels, new Shape(local, 3, res, res));
            NDArray text = HostTransfers.int64(manager, tokens, new Shape(local, setup.contextLength()));
            DacStep.Losses losses = DacStep.forwardBackward(model, pools, memory, images, text, labels, collective);
            Map<String, Param> params = pools.parameters();
            optimizer.step(params, summedGradients(params), setup.schedule().lr(t));
            return new DacStep.Losses(losses.loss(), losses.clip(), losses.ago(), null);
        } finally {
            stepNanos += System.nanoTime() - t0;
            steps++;
            transfers = transfers.plus(HostTransfers.count().minus(before));
        }
    }

    /** The time split of the steps taken so far. */
    public Timings timings() {
        double communication = collective.nanos / 1e9;
        return new Timings(steps, dataNanos / 1e9, communication, (stepNanos - dataNanos) / 1e9 - communication, transfers);
    }

    /** A collective that adds up the time spent in its operations. */
    private static final class TimedCollective implements Collective {
        private final Collective inner;
        private long nanos;

        TimedCollective(Collective inner) {
            this.inner = inner;
        }

        @Override
        public int rank() {
            return inner.rank();
        }

        @Override
        public int worldSize() {
            return inner.worldSize();
        }

        @Override
        public float[] sum(float[] local) {
            long t0 = System.nanoTime();
            try {
                return inner.sum(local);
            } finally {
                nanos += System.nanoTime() - t0;
            }
        }

        @Override
        public void sumInPlace(ByteBuffer floats) {
            long t0 = System.nanoTime();
            try {
                inner.sumInPlace(floats);
            } finally {
                nanos += System.nanoTime() - t0;
            }
        }

        @Override
        public byte[][] allGather(byte[] local) {
            long t0 = System.nanoTime();
            try {
                return inner.allGather(local);
            } finally {
                nanos += System.nanoTime() - t0;
            }
        }
    }

    /**
     * The gradients of A and B, summed over the ranks through one flat buffer (routers get none): concatenated on
     * the device in parameter-name order (zeros where this rank got none), read once into a direct buffer kept
     * across steps, summed there by the collective (no copy in Java), uploaded once, and handed to the optimiser as views of the summed buffer.
     */
    private Map<String, NDArray> summedGradients(Map<String, Param> params) {
        Map<String, NDArray> grads = AdamW.gradients(params);
        if (collective.worldSize() == 1) {
            return grads;
        }
        List<String> names = new ArrayList<>();
        NDList parts = new NDList();
        for (Map.Entry<String, Param> e : params.entrySet()) {
            if (e.getKey().endsWith(".lora_A") || e.getKey().endsWith(".lora_B")) {
                NDArray p = e.getValue().array();
                NDArray g = grads.get(e.getKey());
                names.add(e.getKey());
                parts.add(g == null ? manager.zeros(new Shape(e.getValue().numel())).toDevice(p.getDevice(), false) : g.reshape(-1));
            }
        }
        NDArray flat = NDArrays.concat(parts);
        if (gradients == null || gradients.capacity() < 4 * flat.size()) {
            gradients = ByteBuffer.allocateDirect(Math.toIntExact(4 * flat.size())).order(ByteOrder.nativeOrder());
        }
        HostTransfers.floats(flat, gradients);
        collective.sumInPlace(gradients);
        NDArray sum = HostTransfers.float32(manager, gradients, flat.getShape()).toDevice(flat.getDevice(), false);
        Map<String, NDArray> out = new LinkedHashMap<>();
        long off = 0;
        for (String name : names) {
            Param p = params.get(name);
            out.put(name, sum.get(off + ":" + (off + p.numel())).reshape(p.shape()));
            off += p.numel();
        }
        return out;
    }

    /** A sample's training crop: frozen at first use for few-shot sets, else new at every step. */
    private float[] augmented(Sample s, int step) {
        if (setup.frozenAugmentation()) {
            return frozenCrops.computeIfAbsent(s.id(), id -> setup.processor().train(s.image().get(), Seeds.mix(setup.seed(), Seeds.of(id))));
        }
        return setup.processor().train(s.image().get(), Seeds.mix(setup.seed(), Seeds.of(s.id()), step));
    }
}
