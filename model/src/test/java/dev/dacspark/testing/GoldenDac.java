package dev.dacspark.testing;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;

import java.util.List;
import java.util.Map;

/** The golden DAC training step (dac-*.io.safetensors and config-*.json), read once. */
public final class GoldenDac {
    private static Map<String, SafeTensors.Tensor> io;

    private GoldenDac() {}

    public static synchronized Map<String, SafeTensors.Tensor> io() {
        if (io == null) {
            io = Golden.set().tensors("dac");
        }
        return io;
    }

    /** The method's settings of the golden step (dropout off for determinism). */
    public static DacConfig config() {
        return Golden.set().dacConfig();
    }

    public static List<String> moduleNames() {
        return Golden.set().moduleNames();
    }

    /** Pools on the model holding the golden LoRA state; the earlier task's columns go to memory (if given). */
    public static ExpertPools pools(ClipModel model, TaskMemory memory, NDManager m) {
        return Golden.set().pools(model, io(), memory, m);
    }
}
