package dev.dacspark.testing;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The golden DAC training step (dac-*.io.safetensors and config-*.json), read once. */
public final class GoldenDac {
    private static Map<String, SafeTensors.Tensor> io;
    private static JsonNode json;

    private GoldenDac() {}

    public static synchronized Map<String, SafeTensors.Tensor> io() {
        if (io == null) {
            io = SafeTensors.readAll(Golden.file("dac"));
        }
        return io;
    }

    private static synchronized JsonNode json() {
        if (json == null) {
            try {
                json = new ObjectMapper().readTree(Golden.configJson().toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return json;
    }

    /** The method's settings of the golden step (dropout off for determinism). */
    public static DacConfig config() {
        JsonNode d = json().get("dac");
        DacConfig def = DacConfig.defaults();
        return new DacConfig(d.get("rank").asInt(), d.get("route_top_k").asInt(), d.get("merge_top_k").asInt(),
                d.get("alpha").asDouble(), d.get("dropout").asDouble(), def.targets(), def.encoders(), def.layers(),
                DacConfig.Routing.ROUTED, d.get("ago_weight").asDouble(), DacConfig.AgoMemory.ALL,
                dev.dacspark.lora.VoteScope.GLOBAL);
    }

    public static List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        json().get("module_names").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** Pools on the model holding the golden LoRA state; the earlier task's columns go to memory (if given). */
    public static ExpertPools pools(ClipModel model, TaskMemory memory, NDManager m) {
        ExpertPools pools = ExpertPools.attach(model, config());
        pools.initialize(m, 0); // zero counts; the values follow
        for (String name : moduleNames()) {
            ExpertPool pool = pools.pools().get(name);
            pool.loraA.set(Golden.array(io(), name + ".lora_A", m));
            pool.loraB.set(Golden.array(io(), name + ".lora_B", m));
            pool.router.weight.set(Golden.array(io(), name + ".router.weight", m));
            pool.router.bias.set(Golden.array(io(), name + ".router.bias", m));
            if (memory != null) {
                memory.put(name, Golden.array(io(), name + ".prev_B", m));
            }
        }
        pools.setTraining(true);
        return pools;
    }
}
