package dev.dacspark.spark.cli;

import dev.dacspark.spark.bench.ImageBenchmark;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code dac bench-spark images|allreduce}. */
@Command(name = "bench-spark", mixinStandardHelpOptions = true,
        description = "Benchmarks of the Spark side: 'images' (decode + resize + crop: ImageIO baseline, ours, the prep job) "
                + "or 'allreduce' (ring all-reduce bus bandwidth on loopback).")
public final class SparkBenchCommand implements Callable<Integer> {

    @picocli.CommandLine.Parameters(index = "0", paramLabel = "WHICH", description = "images or allreduce")
    String which;

    @Option(names = "--count", defaultValue = "1000", description = "Generated JPEGs. Default: ${DEFAULT-VALUE}")
    int count;

    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master. Default: ${DEFAULT-VALUE}")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (which.equals("allreduce")) {
            new dev.dacspark.spark.bench.AllReduceBenchmark(spec.commandLine().getOut()).run();
            return 0;
        }
        if (!which.equals("images")) {
            throw new IllegalArgumentException("unknown benchmark '" + which + "'; known: images, allreduce");
        }
        SparkSession spark = LocalSpark.session("dac-spark image benchmark", master);
        try {
            new ImageBenchmark(count, spec.commandLine().getOut()).run(spark);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
