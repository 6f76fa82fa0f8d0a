package dev.dacspark.spark.cli;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.continual.PreparedStream;
import dev.dacspark.spark.eval.StreamEvaluator;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dac eval --config FILE [--checkpoint URI]}: zero-shot accuracy of a checkpoint on every task of a run's stream. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Zero-shot accuracy of a CLIP checkpoint on the test split of every task of a prepared stream (Spark).")
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Run config (HOCON): dac.job.data, dac.model.tokenizer, dac.eval (batch size, settings), dac.job.s3.")
    Path config;

    @Option(names = "--checkpoint", paramLabel = "URI", description = "The checkpoint to score (default: dac.model.checkpoint), "
            + "e.g. a merged checkpoint of a run.")
    String checkpoint;

    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        JobConfig job = JobConfig.load(config);
        String uri = checkpoint != null ? checkpoint : job.checkpoint();
        try (LocalSpark.Session session = LocalSpark.session("dac-spark eval", master); NDManager m = NDManager.newBaseManager()) {
            SparkSession spark = session.spark();
            job.applyTo(spark.sparkContext().hadoopConfiguration());
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            PreparedStream stream = PreparedStream.read(job.data(), hadoop);
            ClipModel model = ClipCheckpoint.load(Storage.localCopy(uri, hadoop), m);
            Map<EvalSetting, double[]> rows;
            try (ClipTokenizer tokenizer = ClipTokenizer.forModel(Storage.localCopy(job.tokenizer(), hadoop), job.tokenizer(),
                    model.config(), uri)) {
                rows = new StreamEvaluator(spark, job.run().eval()).accuracy(model, tokenizer, uri, stream, "evaluate " + uri);
            }
            PrintWriter out = spec.commandLine().getOut();
            rows.forEach((setting, row) -> {
                out.println("zero-shot accuracy (%) of " + uri + ", setting " + setting.id());
                double mean = 0;
                for (PreparedStream.Task task : stream.tasks()) {
                    out.printf(Locale.ROOT, "  %-20s %6.2f%n", task.name(), row[task.index()]);
                    mean += row[task.index()] / row.length;
                }
                out.printf(Locale.ROOT, "  %-20s %6.2f%n", "mean", mean);
            });
            out.flush();
        }
        return 0;
    }
}
