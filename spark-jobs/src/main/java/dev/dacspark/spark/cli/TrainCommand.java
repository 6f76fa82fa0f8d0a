package dev.dacspark.spark.cli;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.continual.JobEvents;
import dev.dacspark.spark.train.DistributedTrainer;
import dev.dacspark.spark.train.InProcessTrainer;
import dev.dacspark.spark.train.TaskBackend;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dac train --config FILE}: the continual-learning job (spark-submit's master, or an embedded one). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run (or resume) the continual-learning job over a prepared task stream (Spark).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Run config (HOCON, keys dac.*).")
    Path config;

    @Option(names = "--run-id", paramLabel = "ID", description = "Overrides dac.job.run-id: a scheduler names each run "
            + "(retries of a run keep its id and resume it).")
    String runId;

    @Mixin
    ClusterMaster cluster;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return run("train", config, runId, cluster.master, false, spec.commandLine().getOut());
    }

    /**
     * The job of {@code train} and {@code train-local}: loads the run config, runs (or resumes) it with its tasks trained
     * in barrier stages or, {@code inProcess}, in this JVM, and prints the results.
     */
    static int run(String command, Path config, String runId, String master, boolean inProcess, PrintWriter out) {
        JobConfig job = JobConfig.load(config, runId);
        try (LocalSpark.Session session = LocalSpark.session("dac-spark " + command + " " + job.runId(), master)) {
            SparkSession spark = session.spark();
            TaskBackend backend = inProcess ? new InProcessTrainer(spark.sparkContext().hadoopConfiguration())
                    : new DistributedTrainer(spark, job.attempts());
            Map<EvalSetting, Map<String, ContinualMetrics>> results = new ContinualJob(spark, job, backend, JobEvents.NONE).run();
            printSettings(out, results);
            out.println("results: " + job.runDir());
            out.flush();
        }
        return 0;
    }

    /**
     * Each evaluation setting's figures ({@link #print(PrintWriter, Map)}), a setting other than MTIL after a line
     * naming it. Every command that ends a run prints this.
     */
    public static void printSettings(PrintWriter out, Map<EvalSetting, Map<String, ContinualMetrics>> results) {
        results.forEach((setting, methods) -> {
            if (setting != EvalSetting.MTIL) {
                out.println();
                out.println("setting " + setting.id() + " (every test image over the union of the stream's class names):");
            }
            print(out, methods);
        });
    }

    /**
     * The accuracy matrix of each method with its {@code Transfer: x}, {@code Average: x} and
     * {@code Last: x} lines, then one table of every method.
     */
    public static void print(PrintWriter out, Map<String, ContinualMetrics> results) {
        results.forEach((method, m) -> {
            out.println();
            out.println(method + ": accuracy (%), rows: zero-shot, then after each task; columns: " + String.join(", ", m.datasets()));
            printRow(out, "zero-shot", m.zeroShotRow());
            for (int i = 1; i <= m.tasks(); i++) {
                double[] row = new double[m.tasks()];
                for (int j = 1; j <= m.tasks(); j++) {
                    row[j - 1] = m.acc(i, j);
                }
                printRow(out, "after " + i, row);
            }
            if (m.tasks() >= 2) {
                out.printf(Locale.ROOT, "Transfer: %.2f%n", m.transfer());
            }
            out.printf(Locale.ROOT, "Average: %.2f%n", m.average());
            out.printf(Locale.ROOT, "Last: %.2f%n", m.last());
        });
        out.println();
        out.printf(Locale.ROOT, "%-12s %9s %9s %9s%n", "method", "Transfer", "Average", "Last");
        results.forEach((method, m) -> out.printf(Locale.ROOT, "%-12s %9s %9.2f %9.2f%n", method,
                m.tasks() >= 2 ? String.format(Locale.ROOT, "%.2f", m.transfer()) : "-", m.average(), m.last()));
    }

    private static void printRow(PrintWriter out, String label, double[] row) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-10s", label));
        for (double v : row) {
            sb.append(String.format(Locale.ROOT, " %6.2f", v));
        }
        out.println(sb);
    }
}
