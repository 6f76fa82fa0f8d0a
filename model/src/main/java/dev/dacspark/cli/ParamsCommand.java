package dev.dacspark.cli;

import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.train.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code dac params --model NAME|PATH [--config FILE]}: the method's parameter counts. */
@Command(name = "params", mixinStandardHelpOptions = true,
        description = "Print the DAC method's trainable and kept-per-task parameter counts for a model.")
public final class ParamsCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME|PATH", description = "A named architecture or a checkpoint.")
    String model;

    @Option(names = "--config", paramLabel = "FILE", description = "A run config whose dac.method settings to use (default: reference.conf).")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ClipConfig clipConfig = InfoCommand.resolveConfig(model);
        DacConfig method = config == null ? DacConfig.defaults() : RunConfig.load(config).method();
        ClipModel clip = new ClipModel(clipConfig); // shapes only
        ExpertPools pools = ExpertPools.attach(clip, method);
        long ab = 0;
        long routers = 0;
        for (ExpertPool p : pools.pools().values()) {
            ab += p.loraA.numel() + p.loraB.numel();
            routers += p.router == null ? 0 : p.router.parameterCount();
        }
        long trainable = pools.trainableParameterCount();
        out.println("model: " + model + " (" + clipConfig + ")");
        out.printf(Locale.ROOT, "modules: %d (rank %d, route top-%d, merge top-%d, %s)%n", pools.pools().size(), method.rank(),
                method.routeTopK(), method.mergeTopK(), method.routing().name().toLowerCase(Locale.ROOT));
        out.printf(Locale.ROOT, "lora A and B: %d%n", ab);
        out.printf(Locale.ROOT, "routers: %d%n", routers);
        out.printf(Locale.ROOT, "trainable: %d (%.2f MB fp32)%n", trainable, trainable * 4 / 1048576.0);
        out.printf(Locale.ROOT, "backbone (frozen): %d%n", clip.parameterCount() - trainable);
        out.printf(Locale.ROOT, "kept per task after merging: %d%n", pools.keptParameterCountPerTask());
        out.flush();
        return 0;
    }
}
