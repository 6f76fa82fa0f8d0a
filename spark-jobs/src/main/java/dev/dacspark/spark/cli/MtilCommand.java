package dev.dacspark.spark.cli;

import dev.dacspark.spark.data.mtil.MtilCheck;
import dev.dacspark.spark.data.mtil.MtilDataset;
import dev.dacspark.spark.storage.Storage;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkHadoopUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code dac mtil check --root URI}: is a copy of the MTIL datasets what the benchmark needs? */
@Command(name = "mtil", mixinStandardHelpOptions = true, description = "The MTIL benchmark's datasets.",
        subcommands = MtilCommand.Check.class)
public final class MtilCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Checks a copy of the 11 MTIL datasets as distributed (file://, hdfs://, s3a://): per dataset its folder, the "
                    + "files its reader needs, classes and train / test counts against the official release, listed images that are "
                    + "missing, and a sample of images decoded. Exits 1 if anything is wrong, listing every problem.")
    static final class Check implements Callable<Integer> {
        @Option(names = "--root", required = true, paramLabel = "URI", description = "The MTIL root: each dataset in its folder as distributed "
                + "(fgvc-aircraft-2013b/data, caltech101/101_ObjectCategories, cifar-100-python, ...; see the README).")
        String root;

        @Option(names = "--order", defaultValue = "I", paramLabel = "I|II", description = "The task order to list the datasets in (default: ${DEFAULT-VALUE}).")
        String order;

        @Option(names = "--sample", defaultValue = "20", paramLabel = "N", description = "Images decoded per dataset (default: ${DEFAULT-VALUE}).")
        int sample;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<MtilDataset> datasets = MtilDataset.order(order);
            // spark-submit's and the environment's Hadoop settings (spark.hadoop.*, core-site.xml), without starting Spark
            var hadoop = SparkHadoopUtil.get().newConfiguration(new SparkConf());
            PrintWriter err = spec.commandLine().getErr();
            List<MtilCheck.Result> results = MtilCheck.run(Storage.location(null, root), datasets, sample, hadoop, line -> {
                err.println(line);
                err.flush();
            });
            PrintWriter out = spec.commandLine().getOut();
            out.print(MtilCheck.format(results));
            out.flush();
            return results.stream().allMatch(MtilCheck.Result::ok) ? 0 : 1;
        }
    }
}
