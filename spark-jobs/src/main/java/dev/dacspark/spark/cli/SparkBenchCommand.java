package dev.dacspark.spark.cli;

import dev.dacspark.spark.bench.ImageBenchmark;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code dac bench-images}: the data pipeline's image throughput. */
@Command(name = "bench-images", mixinStandardHelpOptions = true,
        description = "Image decode + resize + crop throughput: ImageIO baseline, ours, and the prep job on Spark.")
public final class SparkBenchCommand implements Callable<Integer> {

    @Option(names = "--count", defaultValue = "1000", description = "Generated JPEGs. Default: ${DEFAULT-VALUE}")
    int count;

    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master. Default: ${DEFAULT-VALUE}")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SparkSession spark = LocalSpark.session("dac-spark image benchmark", master);
        try {
            new ImageBenchmark(count, spec.commandLine().getOut()).run(spark);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
