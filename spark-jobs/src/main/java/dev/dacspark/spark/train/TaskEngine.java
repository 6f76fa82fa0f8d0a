package dev.dacspark.spark.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;

/**
 * The engine an executor task (a training rank, an evaluation task) computes on, settled when the task
 * starts: its device, checked against what was configured (a GPU asked for and none usable fails the task
 * here, naming why: no silent CPU fallback), libtorch's intra-op threads set to the task's cpus, and one
 * log line with the engine, the libtorch flavour, the device, the CUDA version and the thread counts.
 */
public final class TaskEngine {
    private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

    private TaskEngine() {}

    /**
     * The loaded engine as the device choice sees it: libtorch's location (its folder names the flavour), whether
     * it is a CUDA build, and how many GPUs it sees (0 for a CPU build).
     */
    record Loaded(String libtorch, boolean cuda, int gpus) {
        static Loaded now() {
            Engine engine = Engine.getInstance();
            return new Loaded(LibUtils.getLibtorchPath(), engine.hasCapability(StandardCapabilities.CUDA), engine.getGpuCount());
        }

        String flavour() {
            return cuda ? "a CUDA build" : "a CPU build";
        }
    }

    /**
     * The device of a task: its first GPU address when Spark gave it GPUs, the CPU otherwise. A GPU is asked for
     * when the task has GPU addresses or {@code configuredFlavour} (PYTORCH_FLAVOR, null when unset) is a CUDA
     * flavour (cu...); then the engine must be a CUDA build that sees the task's GPU, and the task must have one.
     *
     * @throws IllegalStateException naming what was asked for, what the engine is, and what to change
     */
    static Device choose(String configuredFlavour, List<String> gpuAddresses, Loaded engine) {
        boolean cudaFlavour = configuredFlavour != null && configuredFlavour.toLowerCase(Locale.ROOT).startsWith("cu");
        if (!cudaFlavour && gpuAddresses.isEmpty()) {
            return Device.cpu();
        }
        String asked = (cudaFlavour ? "PYTORCH_FLAVOR=" + configuredFlavour : "")
                + (cudaFlavour && !gpuAddresses.isEmpty() ? " and " : "")
                + (gpuAddresses.isEmpty() ? "" : "Spark gave it GPU " + String.join(",", gpuAddresses));
        String refusal = "this task asks for a GPU (" + asked + ") but ";
        String noFallback = "; it does not fall back to the CPU";
        if (!engine.cuda()) {
            throw new IllegalStateException(refusal + "DJL loaded " + engine.flavour() + " of libtorch (" + engine.libtorch()
                    + "): give the executors a CUDA libtorch 2.7.1 with PYTORCH_FLAVOR=cu128 (and DJL_OFFLINE=false, "
                    + "DJL_CACHE_DIR on local disk) or PYTORCH_LIBRARY_PATH (README, Deploy), or for CPU executors "
                    + "PYTORCH_FLAVOR=cpu and no spark.*.resource.gpu.* settings" + noFallback);
        }
        if (engine.gpus() == 0) {
            throw new IllegalStateException(refusal + "the CUDA libtorch (" + engine.libtorch() + ") sees no GPU: check "
                    + "nvidia-smi on the node, CUDA_VISIBLE_DEVICES and the container's GPU runtime" + noFallback);
        }
        if (gpuAddresses.isEmpty()) {
            throw new IllegalStateException(refusal + "Spark gave it no GPU: set spark.task.resource.gpu.amount = 1 and "
                    + "spark.executor.resource.gpu.amount = 1 with a discovery script (conf/spark-gpu-cluster.conf, "
                    + "deploy/gpu/discover-gpus.sh), or PYTORCH_FLAVOR=cpu for CPU executors" + noFallback);
        }
        String address = gpuAddresses.get(0);
        int ordinal;
        try {
            ordinal = Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("this task's GPU address '" + address + "' is not a CUDA device ordinal: the "
                    + "discovery script must print ordinals (deploy/gpu/discover-gpus.sh)", e);
        }
        if (ordinal < 0 || ordinal >= engine.gpus()) {
            throw new IllegalStateException("this task's GPU address " + ordinal + " is not one of the " + engine.gpus()
                    + " GPUs libtorch sees (0.." + (engine.gpus() - 1) + "): the discovery script and CUDA_VISIBLE_DEVICES "
                    + "disagree (deploy/gpu/discover-gpus.sh prints the ordinals CUDA will see)");
        }
        return Device.gpu(ordinal);
    }

    /**
     * Settles the engine of the task of {@code ctx}: its device (see {@link #choose}), libtorch's intra-op threads
     * = the task's cpus (in an executor JVM; the driver's JVM of a local session keeps its own), and the log line.
     */
    public static Device start(TaskContext ctx) {
        ResourceInformation gpu = ctx.resources().get("gpu").getOrElse(() -> null);
        List<String> addresses = gpu == null ? List.of() : List.of(gpu.addresses());
        Loaded engine = Loaded.now();
        Device device = choose(System.getenv("PYTORCH_FLAVOR"), addresses, engine);
        boolean executor = SparkEnv.get() != null && !"driver".equals(SparkEnv.get().executorId());
        if (executor && JniUtils.getNumThreads() != ctx.cpus()) {
            JniUtils.setNumThreads(ctx.cpus());
        }
        LOG.info(String.format(Locale.ROOT, "task %d (stage %d, partition %d): engine %s %s, libtorch %s (%s), PYTORCH_FLAVOR %s, "
                + "device %s, CUDA %s, %d intra-op threads (%s), %d inter-op threads, task cpus %d", ctx.taskAttemptId(), ctx.stageId(),
                ctx.partitionId(), Engine.getInstance().getEngineName(), Engine.getInstance().getVersion(), engine.libtorch(),
                engine.flavour(), System.getenv("PYTORCH_FLAVOR"), device, engine.cuda() ? CudaUtils.getCudaVersionString() : "none",
                JniUtils.getNumThreads(), executor ? "spark.task.cpus" : "the driver's, local mode", JniUtils.getNumInteropThreads(),
                ctx.cpus()));
        return device;
    }
}
