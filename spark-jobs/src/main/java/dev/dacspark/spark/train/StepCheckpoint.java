package dev.dacspark.spark.train;

import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.DacStep;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Step checkpoints of a task's training: after step s, the pools' parameters, their running vote
 * counts and the optimiser state, in one safetensors file {@code step-SSSSSS.safetensors}; then a
 * the last step's losses, in one safetensors file; then a
 * small {@code latest} file naming it, written last, so a reader only ever sees complete files.
 * The data cursor and the random state need no saving: the batch plan and the dropout seed are
 * functions of the step.
 */
public final class StepCheckpoint {
    private StepCheckpoint() {}

    static final String LATEST = "latest";

    /** A restored state: the step to continue from and the tensors. */
    public record State(int step, Map<String, Tensor> tensors) {
        /** The losses of the last step before the checkpoint: total, contrastive, AGO. */
        public Losses losses() {
            float[] l = tensors.get(LOSSES).toFloats();
            return new Losses(l[0], l[1], l[2]);
        }
    }

    /** A step's losses as numbers: total, contrastive, AGO. */
    public record Losses(float loss, float clip, float ago) implements java.io.Serializable {
        public static Losses of(DacStep.Losses l) {
            return new Losses(l.loss(), l.clip(), l.ago());
        }
    }

    private static final String LOSSES = "losses";

    /** Writes the state after {@code step} steps (through the Hadoop FileSystem API: file://, hdfs://, s3a://). */
    public static void write(String dir, int step, Losses last, ExpertPools pools, AdamW optimizer, Configuration hadoop) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put(LOSSES, Tensor.ofFloats(new long[] {3}, new float[] {last.loss(), last.clip(), last.ago()}));
        pools.parameters().forEach((k, p) -> {
            Tensor values = TensorArrays.fromNDArray(p.array());
            for (float v : values.toFloats()) {
                if (!Float.isFinite(v)) {
                    throw new IllegalStateException("refusing to write the step-" + step + " checkpoint under " + dir + ": '" + k
                            + "' holds non-finite values");
                }
            }
            t.put(k, values);
        });
        for (ExpertPool pool : pools.pools().values()) {
            float[] c = pool.counts();
            t.put(pool.name() + ".counts", Tensor.ofFloats(new long[] {c.length}, c));
        }
        optimizer.state().forEach((k, v) -> t.put("optim." + k, v));
        String name = String.format("step-%06d.safetensors", step);
        Path file = new Path(URI.create(dir + "/" + name));
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            try (FSDataOutputStream out = fs.create(file, true)) {
                SafeTensors.write(out, t, Map.of("step", Integer.toString(step)));
            }
            try (FSDataOutputStream out = fs.create(new Path(URI.create(dir + "/" + LATEST)), true)) {
                out.write(name.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            throw dev.dacspark.spark.storage.PermanentIoFailure.of("cannot write step checkpoint " + file, e);
        }
    }

    /** The latest complete checkpoint under dir, or null if there is none. */
    public static State latest(String dir, Configuration hadoop) {
        try {
            String name = latestName(dir, hadoop);
            if (name == null) {
                return null;
            }
            Map<String, Tensor> tensors;
            try (InputStream in = Storage.fs(dir, hadoop).open(new Path(URI.create(dir + "/" + name)))) {
                tensors = SafeTensors.readAll(in, dir + "/" + name);
            }
            return new State(stepOf(name), tensors);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the latest step checkpoint under " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The step of the latest complete checkpoint under dir (what a new attempt resumes after), 0 if there is none. */
    public static int latestStep(String dir, Configuration hadoop) {
        try {
            String name = latestName(dir, hadoop);
            return name == null ? 0 : stepOf(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the latest step checkpoint under " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The file name the {@code LATEST} pointer holds, or null when there is no pointer. */
    private static String latestName(String dir, Configuration hadoop) throws IOException {
        Path latest = new Path(URI.create(dir + "/" + LATEST));
        FileSystem fs = latest.getFileSystem(hadoop);
        if (!fs.exists(latest)) {
            return null;
        }
        try (InputStream in = fs.open(latest)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private static int stepOf(String name) {
        return Integer.parseInt(name.replaceAll("[^0-9]", ""));
    }

    /** Puts a restored state into freshly attached pools and a fresh optimiser. */
    public static void restore(State state, ExpertPools pools, AdamW optimizer, ai.djl.ndarray.NDManager manager) {
        restorePools(state, pools, manager);
        Map<String, Tensor> optim = new LinkedHashMap<>();
        state.tensors().forEach((k, v) -> {
            if (k.startsWith("optim.")) {
                optim.put(k.substring("optim.".length()), v);
            }
        });
        optimizer.load(optim);
    }

    /** Puts a restored state's parameters and vote counts into initialised pools (the driver's merge needs no optimiser). */
    public static void restorePools(State state, ExpertPools pools, ai.djl.ndarray.NDManager manager) {
        pools.parameters().forEach((k, p) -> {
            Tensor t = state.tensors().get(k);
            if (t == null) {
                throw new IllegalStateException("step checkpoint lacks '" + k + "'");
            }
            p.set(TensorArrays.toNDArray(t, manager).toDevice(p.array().getDevice(), false));
        });
        for (ExpertPool pool : pools.pools().values()) {
            pool.setCounts(state.tensors().get(pool.name() + ".counts").toFloats());
        }
    }
}
