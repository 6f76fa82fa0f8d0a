package dev.dacspark.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.train.DacStep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our CLIP and DAC step against a {@link GoldenSet}, on any device: the CLIP's features and logits from either
 * checkpoint naming, and one DAC training step's vote counts, losses, gradients of every A and B and merged
 * weights, each compared elementwise within the golden set's tolerances (|actual - expected| <= atol + rtol |expected|).
 * The golden tests and {@code bench gpu} run these same comparisons.
 */
public final class GoldenParity {
    /** Features and logits: 1e-4 absolute, 1e-5 relative (golden README). */
    public static final double OUTPUT_ATOL = 1e-4;
    public static final double OUTPUT_RTOL = 1e-5;
    /** Losses and gradients: 1e-5 absolute. */
    public static final double LOSS_ATOL = 1e-5;
    public static final double GRADIENT_ATOL = 1e-5;
    /** Merged weights: 1e-6 absolute. */
    public static final double MERGE_ATOL = 1e-6;

    private GoldenParity() {}

    /**
     * One comparison: what was compared, its tolerance, the entry that exceeded it most (or -1 when none did), and
     * the largest absolute difference.
     */
    public record Check(String what, double atol, double rtol, int worstAt, float actualAtWorst, float expectedAtWorst, double maxError) {
        public boolean passed() {
            return worstAt < 0;
        }

        /** Why the check failed, naming the worst entry; or its largest error when it passed. */
        public String describe() {
            return passed() ? String.format(Locale.ROOT, "%s: max |error| %.2e (atol %.1e, rtol %.1e)", what, maxError, atol, rtol)
                    : String.format(Locale.ROOT, "%s: entry %d is %.8g, expected %.8g (atol %.1e, rtol %.1e)", what, worstAt,
                            actualAtWorst, expectedAtWorst, atol, rtol);
        }
    }

    /** Compares values elementwise; a NaN or a length mismatch fails the check. */
    public static Check compare(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            return new Check(what + " (length " + actual.length + ", expected " + expected.length + ")", atol, rtol, 0,
                    Float.NaN, Float.NaN, Double.POSITIVE_INFINITY);
        }
        double worst = 0;
        double maxError = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(expected[i] - actual[i]);
            double excess = error - (atol + rtol * Math.abs(expected[i]));
            maxError = Math.max(maxError, Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : error);
            if (Double.isNaN(actual[i]) || excess > worst) {
                worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
                at = i;
            }
        }
        return new Check(what, atol, rtol, at, at < 0 ? 0 : actual[at], at < 0 ? 0 : expected[at], maxError);
    }

    /** Compares arrays elementwise (shapes must agree); one read of each. */
    public static Check compare(String what, NDArray expected, NDArray actual, double atol, double rtol) {
        if (!expected.getShape().equals(actual.getShape())) {
            return new Check(what + " (shape " + actual.getShape() + ", expected " + expected.getShape() + ")", atol, rtol, 0,
                    Float.NaN, Float.NaN, Double.POSITIVE_INFINITY);
        }
        return compare(what, HostTransfers.floats(expected), HostTransfers.floats(actual), atol, rtol);
    }

    /** The CLIP loaded from the set's checkpoint of {@code naming} (openai or hf) on {@code m}'s device against its outputs. */
    public static List<Check> clipForward(GoldenSet set, String naming, NDManager m) {
        Map<String, SafeTensors.Tensor> io = set.tensors("io");
        ClipModel model = ClipCheckpoint.load(set.file(naming), m);
        NDArray imageFeatures = model.encodeImage(GoldenSet.array(io, "image", m));
        NDArray textFeatures = model.encodeText(GoldenSet.tokens(io, "text", m));
        NDArray logits = model.logitsPerImage(imageFeatures, textFeatures);
        return List.of(
                compare(naming + " image_features", GoldenSet.array(io, "image_features", m), imageFeatures, OUTPUT_ATOL, OUTPUT_RTOL),
                compare(naming + " text_features", GoldenSet.array(io, "text_features", m), textFeatures, OUTPUT_ATOL, OUTPUT_RTOL),
                compare(naming + " logits_per_image", GoldenSet.array(io, "logits_per_image", m), logits, OUTPUT_ATOL, OUTPUT_RTOL));
    }

    /**
     * The release's DAC step on the set's CLIP (openai naming) on {@code m}'s device: logits, the three losses,
     * every module's counts (exactly), A and B gradients, and the merged weights after the step.
     */
    public static List<Check> dacStep(GoldenSet set, NDManager m) {
        Map<String, SafeTensors.Tensor> io = set.tensors("dac");
        List<Check> checks = new ArrayList<>();
        try (TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = ClipCheckpoint.load(set.file("openai"), m);
            ExpertPools pools = set.pools(model, io, memory, m);
            DacStep.Losses losses = DacStep.forwardBackward(model, pools, memory, GoldenSet.array(io, "image", m),
                    GoldenSet.tokens(io, "class_text", m), io.get("labels").toLongs());
            checks.add(compare("logits_per_text", GoldenSet.array(io, "logits_per_text", m), losses.logitsPerText(), OUTPUT_ATOL, OUTPUT_RTOL));
            checks.add(compare("clip_loss", io.get("clip_loss").toFloats(), new float[] {losses.clip()}, LOSS_ATOL, 0));
            checks.add(compare("ago_loss", io.get("ago_loss").toFloats(), new float[] {losses.ago()}, LOSS_ATOL, 0));
            checks.add(compare("loss", io.get("loss").toFloats(), new float[] {losses.loss()}, LOSS_ATOL, 0));
            for (String name : set.moduleNames()) {
                ExpertPool pool = pools.pools().get(name);
                checks.add(compare(name + ".counts", io.get(name + ".counts").toFloats(), pool.counts(), 0, 0));
                checks.add(compare(name + ".grad_A", GoldenSet.array(io, name + ".grad_A", m), pool.loraA.array().getGradient(), GRADIENT_ATOL, 0));
                checks.add(compare(name + ".grad_B", GoldenSet.array(io, name + ".grad_B", m), pool.loraB.array().getGradient(), GRADIENT_ATOL, 0));
            }
            pools.mergeAndDetach(null);
            Map<String, Module> modules = model.namedModules();
            for (String name : set.moduleNames()) {
                Linear linear = (Linear) modules.get(name);
                checks.add(compare(name + ".merged_weight", GoldenSet.array(io, name + ".merged_weight", m), linear.weight.array(), MERGE_ATOL, 0));
            }
        }
        return checks;
    }

    /** The checks that failed, described one a line; empty when all passed. */
    public static String failures(List<Check> checks) {
        return String.join("\n", checks.stream().filter(c -> !c.passed()).map(Check::describe).toList());
    }

    /** The check with the largest error relative to its tolerance's absolute part (for a one-line summary). */
    public static Check worst(List<Check> checks) {
        return checks.stream().max(java.util.Comparator.comparingDouble(c -> c.passed() ? c.maxError() / Math.max(c.atol(), 1e-12)
                : Double.POSITIVE_INFINITY)).orElseThrow();
    }
}
