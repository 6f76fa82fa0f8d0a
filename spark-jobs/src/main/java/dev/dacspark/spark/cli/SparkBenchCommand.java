package dev.dacspark.spark.cli;

import dev.dacspark.spark.bench.ImageBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code dac bench-spark images|allreduce}. */
@Command(name = "bench-spark", mixinStandardHelpOptions = true,
        description = "Benchmarks of the Spark side: 'images' (decode + resize + crop: ImageIO baseline, ours, the prep job) "
                + "'allreduce' (ring all-reduce bus bandwidth and small all-reduce latency on loopback, next to a TCP stream and a "
                + "memory copy), 'train-split' (data-parallel step time split at W = 1 and 2 on a local-cluster) or 'sweep' "
                + "(conf/demo-sweep.conf's four runs concurrently against one after the other on local-cluster[2,1,2048]).")
public final class SparkBenchCommand implements Callable<Integer> {

    @picocli.CommandLine.Parameters(index = "0", paramLabel = "WHICH", description = "images, allreduce, train-split or sweep")
    String which;

    @Option(names = "--count", defaultValue = "1000", description = "Generated JPEGs. Default: ${DEFAULT-VALUE}")
    int count;

    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (which.equals("allreduce")) {
            new dev.dacspark.spark.bench.AllReduceBenchmark(spec.commandLine().getOut()).run();
            return 0;
        }
        if (which.equals("train-split")) {
            try (LocalSpark.Session cluster = LocalSpark.session("dac-spark train-step split", "local-cluster[2,1,2048]")) {
                new dev.dacspark.spark.bench.TrainSplitBenchmark(spec.commandLine().getOut(), 20, 4).run(cluster.spark());
            }
            return 0;
        }
        if (which.equals("sweep")) {
            try (LocalSpark.Session cluster = LocalSpark.session("dac-spark sweep benchmark", master != null ? master : "local-cluster[2,1,2048]")) {
                new dev.dacspark.spark.bench.SweepBenchmark(spec.commandLine().getOut(),
                        Path.of(System.getProperty("dac.home", "."), "conf", "demo-sweep.conf")).run(cluster.spark());
            }
            return 0;
        }
        if (!which.equals("images")) {
            throw new IllegalArgumentException("unknown benchmark '" + which + "'; known: images, allreduce, train-split, sweep");
        }
        try (LocalSpark.Session session = LocalSpark.session("dac-spark image benchmark", master)) {
            new ImageBenchmark(count, spec.commandLine().getOut()).run(session.spark());
        }
        return 0;
    }
}
