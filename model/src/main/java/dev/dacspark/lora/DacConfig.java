package dev.dacspark.lora;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Settings of the expert-pool LoRA and the AGO loss ({@code dac.method} in reference.conf).
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
        if (rank < 1) {
            throw new IllegalArgumentException("dac.method.rank must be >= 1, got " + rank);
        }
        if (routeTopK < 1 || routeTopK > rank) {
            throw new IllegalArgumentException("dac.method.route-top-k must be in [1, rank=" + rank + "], got " + routeTopK);
        }
        if (mergeTopK < 1 || mergeTopK > rank) {
            throw new IllegalArgumentException("dac.method.merge-top-k must be in [1, rank=" + rank + "], got " + mergeTopK);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dac.method.dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty() || encoders.isEmpty()) {
            throw new IllegalArgumentException("dac.method.targets and dac.method.encoders must not be empty");
        }
        if (agoWeight < 0) {
            throw new IllegalArgumentException("dac.method.ago-weight must be >= 0, got " + agoWeight);
        }
        targets = Set.copyOf(targets);
        encoders = Set.copyOf(encoders);
        layers = List.copyOf(layers);
    }

    /** The settings of the paper and the release. */
    public static DacConfig defaults() {
        return new DacConfig(12, 8, 4, 1.0, 0.2, Set.of(Target.values()), Set.of(Encoder.values()), List.of(),
                Routing.ROUTED, 0.1, AgoMemory.ALL, VoteScope.GLOBAL);
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

    /** Reads {@code dac.method}-shaped config (keys: rank, route-top-k, ...). Errors name the key and file. */
    public static DacConfig fromConfig(Config c) {
        try {
            Set<Target> targets = new LinkedHashSet<>();
            for (String t : c.getStringList("targets")) {
                targets.add(parseEnum(Target.class, t.replace("-", "_"), c, "targets"));
            }
            Set<Encoder> encoders = new LinkedHashSet<>();
            for (String e : c.getStringList("encoders")) {
                encoders.add(parseEnum(Encoder.class, e, c, "encoders"));
            }
            List<Integer> layers = new ArrayList<>(c.getIntList("layers"));
            return new DacConfig(c.getInt("rank"), c.getInt("route-top-k"), c.getInt("merge-top-k"), c.getDouble("alpha"),
                    c.getDouble("dropout"), targets, encoders, layers,
                    parseEnum(Routing.class, c.getString("routing"), c, "routing"), c.getDouble("ago-weight"),
                    parseEnum(AgoMemory.class, c.getString("ago-memory").replace("-", "_"), c, "ago-memory"),
                    parseEnum(VoteScope.class, c.getString("vote-scope"), c, "vote-scope"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, Config c, String key) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> known = new ArrayList<>();
            for (E v : type.getEnumConstants()) {
                known.add(v.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw new IllegalArgumentException(c.getValue(key).origin().description() + ": " + key + ": unknown value '" + value
                    + "'; expected one of " + known);
        }
    }
}
