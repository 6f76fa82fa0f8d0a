package dev.dacspark.spark.train;

import ai.djl.Device;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A task's device: the GPU it asked for or a clear failure at task start, never a silent CPU fallback. */
class TaskEngineTest {
    static final TaskEngine.Loaded CPU_BUILD = new TaskEngine.Loaded("/djl/pytorch/2.7.1-cpu-linux-x86_64", false, 0);
    static final TaskEngine.Loaded CUDA_NO_GPU = new TaskEngine.Loaded("/opt/libtorch-cu128/lib", true, 0);
    static final TaskEngine.Loaded CUDA_TWO_GPUS = new TaskEngine.Loaded("/opt/libtorch-cu128/lib", true, 2);

    static String refusal(String flavour, List<String> gpus, TaskEngine.Loaded engine) {
        return assertThrows(IllegalStateException.class, () -> TaskEngine.choose(flavour, gpus, engine)).getMessage();
    }

    @Test
    void noGpuAskedForIsTheCpuWhateverTheEngine() {
        for (String flavour : new String[] {null, "cpu", "cpu-precxx11"}) {
            assertEquals(Device.cpu(), TaskEngine.choose(flavour, List.of(), CPU_BUILD));
            assertEquals(Device.cpu(), TaskEngine.choose(flavour, List.of(), CUDA_TWO_GPUS));
        }
    }

    @Test
    void theTasksGpuOnACudaEngineThatSeesIt() {
        assertEquals(Device.gpu(1), TaskEngine.choose("cu128", List.of("1"), CUDA_TWO_GPUS));
        assertEquals(Device.gpu(0), TaskEngine.choose(null, List.of("0"), CUDA_TWO_GPUS), "a GPU resource alone asks for a GPU");
    }

    @Test
    void aCpuLibtorchFailsATaskThatAsksForAGpu() {
        String flavour = refusal("cu128", List.of(), CPU_BUILD);
        assertTrue(flavour.contains("PYTORCH_FLAVOR=cu128") && flavour.contains("a CPU build of libtorch")
                && flavour.contains(CPU_BUILD.libtorch()) && flavour.contains("PYTORCH_LIBRARY_PATH")
                && flavour.contains("does not fall back to the CPU"), flavour);
        String resource = refusal("cpu", List.of("0"), CPU_BUILD);
        assertTrue(resource.contains("Spark gave it GPU 0") && resource.contains("a CPU build"), resource);
    }

    @Test
    void aCudaLibtorchThatSeesNoGpuFailsTheTask() {
        String m = refusal("cu128", List.of("0"), CUDA_NO_GPU);
        assertTrue(m.contains("sees no GPU") && m.contains("CUDA_VISIBLE_DEVICES") && m.contains("Spark gave it GPU 0"), m);
    }

    @Test
    void aCudaFlavourWithoutASparkGpuFailsTheTask() {
        String m = refusal("cu128", List.of(), CUDA_TWO_GPUS);
        assertTrue(m.contains("Spark gave it no GPU") && m.contains("spark.task.resource.gpu.amount"), m);
    }

    @Test
    void aGpuAddressTheEngineDoesNotSeeFailsTheTask() {
        String m = refusal("cu128", List.of("2"), CUDA_TWO_GPUS);
        assertTrue(m.contains("GPU address 2") && m.contains("2 GPUs libtorch sees (0..1)"), m);
        String uuid = refusal("cu128", List.of("GPU-5f1c"), CUDA_TWO_GPUS);
        assertTrue(uuid.contains("'GPU-5f1c' is not a CUDA device ordinal"), uuid);
    }

    /** A task's context as an executor makes it, with {@code gpus} as its GPU addresses (none: no GPU resource). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static TaskContext task(String... gpus) {
        scala.collection.immutable.Map resources = scala.collection.immutable.Map$.MODULE$.empty();
        if (gpus.length > 0) {
            resources = resources.updated("gpu", new ResourceInformation("gpu", gpus));
        }
        return new TaskContextImpl(1, 0, 0, 7L, 0, 1, null, new Properties(), null, TaskMetrics.empty(), 4, resources);
    }

    @Test
    void theTaskStartReadsTheTasksGpuResourceAndTheLoadedEngine() {
        assertEquals("cpu", System.getenv("PYTORCH_FLAVOR"), "the build runs the tests on the CPU flavour");
        assertEquals(Device.cpu(), TaskEngine.start(task()));
        String m = assertThrows(IllegalStateException.class, () -> TaskEngine.start(task("0"))).getMessage();
        assertTrue(m.contains("Spark gave it GPU 0") && m.contains("a CPU build of libtorch"), m);
    }

    @Test
    void theEngineLoadedHereIsSeenAsTheCpuBuildItIs() {
        TaskEngine.Loaded here = TaskEngine.Loaded.now(); // the tests' libtorch: pytorch-native-cpu
        assertFalse(here.cuda());
        assertEquals(0, here.gpus());
        String m = refusal("cu128", List.of(), here);
        assertTrue(m.contains("a CPU build of libtorch (" + here.libtorch() + ")"), m);
    }
}
