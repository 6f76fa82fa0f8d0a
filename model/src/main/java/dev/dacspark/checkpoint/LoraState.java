package dev.dacspark.checkpoint;

import dev.dacspark.checkpoint.SafeTensors.Tensor;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task's expert pools as safetensors, under the release's names: {@code <module>.lora_A},
 * {@code <module>.lora_B}, {@code <module>.router.weight}, {@code <module>.router.bias},
 * {@code <module>.counts} (the task's vote counts) and {@code <module>.merged_experts}.
 */
public final class LoraState {
    private LoraState() {}

    public static Map<String, Tensor> tensors(ExpertPools pools) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        pools.parameters().forEach((name, p) -> out.put(name, TensorArrays.fromNDArray(p.array())));
        for (ExpertPool pool : pools.pools().values()) {
            float[] counts = pool.counts();
            out.put(pool.name() + ".counts", Tensor.ofFloats(new long[] {counts.length}, counts));
            int[] merged = pool.topExpertsByCount();
            long[] m = new long[merged.length];
            for (int i = 0; i < m.length; i++) {
                m[i] = merged[i];
            }
            out.put(pool.name() + ".merged_experts", Tensor.ofLongs(new long[] {m.length}, m));
        }
        return out;
    }

    /** Writes the pools' state. */
    public static void save(ExpertPools pools, Path file, Map<String, String> metadata) {
        SafeTensors.write(file, tensors(pools), metadata);
    }
}
