package dev.dacspark.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.lora.VoteScope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A golden set in the layout of ../shared/golden/README.md: config {@code config} (e.g. A) of directory {@code dir},
 * the reference CLIP's weights under both namings with its outputs, and one DAC training step of the authors'
 * release. Nothing about a particular set is assumed beyond that layout.
 */
public record GoldenSet(Path dir, String config) {
    public GoldenSet {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("golden directory " + dir.toAbsolutePath() + " is missing (the golden vectors of "
                    + "../shared/golden; give another with -Dgolden.dir or --golden)");
        }
    }

    /** {@code clip-CONFIG.KIND.safetensors} (KIND: openai, hf, io), or the DAC step's {@code dac-CONFIG.io.safetensors} for "dac". */
    public Path file(String kind) {
        Path f = dir.resolve(kind.equals("dac") ? "dac-" + config + ".io.safetensors" : "clip-" + config + "." + kind + ".safetensors");
        if (!Files.exists(f)) {
            throw new IllegalArgumentException("golden file " + f + " is missing");
        }
        return f;
    }

    /** The set's {@code config-CONFIG.json}: the CLIP's architecture and the DAC step's settings and module names. */
    public Path configJson() {
        return dir.resolve("config-" + config + ".json");
    }

    /** The tensors of {@link #file(String)}. */
    public Map<String, SafeTensors.Tensor> tensors(String kind) {
        return SafeTensors.readAll(file(kind));
    }

    private JsonNode json() {
        try {
            return new ObjectMapper().readTree(configJson().toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("golden config " + configJson() + " is unreadable", e);
        }
    }

    /** The method's settings of the golden step (dropout off for determinism). */
    public DacConfig dacConfig() {
        JsonNode d = json().get("dac");
        DacConfig def = DacConfig.defaults();
        return new DacConfig(d.get("rank").asInt(), d.get("route_top_k").asInt(), d.get("merge_top_k").asInt(),
                d.get("alpha").asDouble(), d.get("dropout").asDouble(), def.targets(), def.encoders(), def.layers(),
                DacConfig.Routing.ROUTED, d.get("ago_weight").asDouble(), DacConfig.AgoMemory.ALL, VoteScope.GLOBAL);
    }

    /** The adapted modules of the golden step, in the release's order. */
    public List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        json().get("module_names").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** Tensor {@code name} of {@code tensors} as an fp32 array on {@code manager}. */
    public static NDArray array(Map<String, SafeTensors.Tensor> tensors, String name, NDManager manager) {
        SafeTensors.Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("golden tensor '" + name + "' is missing");
        }
        return TensorArrays.toNDArray(t, manager);
    }

    /** Token ids {@code name} of {@code tensors} as an int64 array on {@code manager}. */
    public static NDArray tokens(Map<String, SafeTensors.Tensor> tensors, String name, NDManager manager) {
        SafeTensors.Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("golden tensor '" + name + "' is missing");
        }
        return HostTransfers.int64(manager, t.toLongs(), new Shape(t.shape()));
    }

    /**
     * Pools on {@code model} holding the golden LoRA state of the step's tensors {@code dac}, in training mode; the
     * earlier task's kept columns go to {@code memory} (when given).
     */
    public ExpertPools pools(ClipModel model, Map<String, SafeTensors.Tensor> dac, TaskMemory memory, NDManager m) {
        ExpertPools pools = ExpertPools.attach(model, dacConfig());
        pools.initialize(m, 0); // zero counts; the values follow
        for (String name : moduleNames()) {
            ExpertPool pool = pools.pools().get(name);
            pool.loraA.set(array(dac, name + ".lora_A", m));
            pool.loraB.set(array(dac, name + ".lora_B", m));
            pool.router.weight.set(array(dac, name + ".router.weight", m));
            pool.router.bias.set(array(dac, name + ".router.bias", m));
            if (memory != null) {
                memory.put(name, array(dac, name + ".prev_B", m));
            }
        }
        pools.setTraining(true);
        return pools;
    }
}
