package dev.dacspark.lora;

import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of the expert-pool LoRA and the AGO loss ({@code dac.method}; defaults and ranges: reference.conf and {@link #read}).
 *
 * @param rank         r: experts per module (rank-1 each)
 * @param routeTopK    experts each sample picks from its router's softmax
 * @param mergeTopK    experts merged after a task, and the current task's experts in the AGO term
 * @param alpha        LoRA alpha; the update is scaled by alpha / rank
 * @param dropout      dropout on the LoRA input (the router sees the dropped-out input too)
 * @param targets      linear layers of a block that get a pool: q, k, v, out, c_fc, c_proj
 * @param encoders     towers that get pools: vision, text
 * @param layers       block indices that get pools; empty = every block
 * @param routing      {@code routed} (DAC) or {@code dense} (a plain LoRA: every expert always on, no router)
 * @param agoWeight    weight of the AGO loss in the total loss (0 disables it)
 * @param agoMemory    which B columns of a finished task the AGO term keeps
 * @param voteScope    data parallel: whose votes choose the mask (global batch, or each rank's own)
 */
public record DacConfig(int rank, int routeTopK, int mergeTopK, double alpha, double dropout, Set<Target> targets,
        Set<Encoder> encoders, List<Integer> layers, Routing routing, double agoWeight, AgoMemory agoMemory,
        VoteScope voteScope) implements java.io.Serializable {

    /** The six linear layers of a transformer block, with their module names. */
    public enum Target {
        Q("attn.q_proj"), K("attn.k_proj"), V("attn.v_proj"), OUT("attn.proj"), C_FC("mlp.c_fc"), C_PROJ("mlp.c_proj");

        public final String moduleSuffix;

        Target(String moduleSuffix) {
            this.moduleSuffix = moduleSuffix;
        }
    }

    public enum Encoder {
        VISION("visual.transformer.resblocks."), TEXT("transformer.resblocks.");

        public final String blockPrefix;

        Encoder(String blockPrefix) {
            this.blockPrefix = blockPrefix;
        }
    }

    public enum Routing { ROUTED, DENSE }

    /**
     * Which columns of a finished task's B the AGO term keeps: {@code ALL} r columns (what the
     * authors' release does, and what produced the published numbers) or the {@code TOP_MERGED}
     * columns (the paper's stated intent).
     */
    public enum AgoMemory { ALL, TOP_MERGED }

    public DacConfig {
        targets = Set.copyOf(targets);
        encoders = Set.copyOf(encoders);
        layers = List.copyOf(layers);
    }

    /** The settings of the paper and the release: reference.conf's {@code dac.method}. */
    public static DacConfig defaults() {
        return read(Settings.defaults().section("dac.method"));
    }

    public double scaling() {
        return alpha / rank;
    }

    public DacConfig withDropout(double p) {
        return new DacConfig(rank, routeTopK, mergeTopK, alpha, p, targets, encoders, layers, routing, agoWeight, agoMemory, voteScope);
    }

    public DacConfig withRouting(Routing r) {
        return new DacConfig(rank, routeTopK, mergeTopK, alpha, dropout, targets, encoders, layers, r, agoWeight, agoMemory, voteScope);
    }

    public DacConfig withAgoWeight(double w) {
        return new DacConfig(rank, routeTopK, mergeTopK, alpha, dropout, targets, encoders, layers, routing, w, agoMemory, voteScope);
    }

    public DacConfig withAgoMemory(AgoMemory m) {
        return new DacConfig(rank, routeTopK, mergeTopK, alpha, dropout, targets, encoders, layers, routing, agoWeight, m, voteScope);
    }

    public DacConfig withVoteScope(VoteScope scope) {
        return new DacConfig(rank, routeTopK, mergeTopK, alpha, dropout, targets, encoders, layers, routing, agoWeight, agoMemory, scope);
    }

    /** Reads a {@code dac.method} section (keys: rank, route-top-k, ...), with its range checks. */
    public static DacConfig read(Section m) {
        int rank = m.positiveInt("rank");
        List<Target> targets = m.choices("targets", Target.class);
        List<Encoder> encoders = m.choices("encoders", Encoder.class);
        return new DacConfig(rank, m.intIn("route-top-k", 1, rank, "rank=" + rank), m.intIn("merge-top-k", 1, rank, "rank=" + rank),
                m.positive("alpha"), m.probability("dropout"), new LinkedHashSet<>(m.check("targets", targets, !targets.isEmpty(), "non-empty")),
                new LinkedHashSet<>(m.check("encoders", encoders, !encoders.isEmpty(), "non-empty")), m.ints("layers"),
                m.choice("routing", Routing.class), m.nonNegative("ago-weight"), m.choice("ago-memory", AgoMemory.class),
                m.choice("vote-scope", VoteScope.class));
    }
}
