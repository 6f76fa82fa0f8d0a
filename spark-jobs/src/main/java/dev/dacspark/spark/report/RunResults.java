package dev.dacspark.spark.report;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.RunManifest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The results of one run, read from the results folder its manifest names (never by listing {@code results/}):
 * the accuracy matrices, the metrics the job computed, the experts' vote counts and the per-task costs. Accuracy and
 * metrics are those of the MTIL setting (rows of the {@code x-tail} setting are left to the tables' readers; tables
 * written before the {@code setting} column existed are MTIL's).
 */
public record RunResults(String runDir, RunManifest manifest, List<Accuracy> accuracy, List<Metric> metrics, List<Expert> experts,
        List<TaskCost> costs) {

    /** accuracy.parquet: accuracy (percent) on dataset {@code datasetIndex} (1-based) after task {@code afterTask} (0 = zero-shot). */
    public record Accuracy(String method, int afterTask, String afterTaskName, String dataset, int datasetIndex, double accuracy) {}

    /** metrics.parquet: a complete method's figures for one dataset, or for {@link #ALL} datasets; Transfer may be null. */
    public record Metric(String method, String dataset, Double transfer, double average, double last) {}

    /** experts.parquet: one expert's vote count in one module over one task, and whether it was merged. */
    public record Expert(String method, int taskIndex, String task, String module, int expert, double count, boolean merged) {}

    /** tasks.parquet: what one task cost. */
    public record TaskCost(String method, int taskIndex, String task, double trainSeconds, double evalSeconds, int iterations,
            int workers, int batchPerRank, long trainableParameters, double peakRssMb, Double loss, Double clipLoss, Double agoLoss) {}

    /** The metrics row of the summary over every dataset. */
    public static final String ALL = "all";

    /** Reads the run in the folder {@code runUri} (any Hadoop URI, e.g. file:///runs/r1, s3a://bucket/runs/r1). */
    public static RunResults read(String runUri, Configuration hadoop) {
        String runDir = runUri.replaceAll("/+$", "");
        RunManifest manifest = RunManifest.read(runDir, hadoop);
        Path dir = new Path(URI.create(runDir + "/" + manifest.results));
        List<Accuracy> accuracy = ParquetTable.read(new Path(dir, "accuracy.parquet"), hadoop).stream().filter(RunResults::mtil)
                .map(r -> new Accuracy(r.string("method"), r.integer("after_task"), r.string("after_task_name"), r.string("dataset"),
                        r.integer("dataset_index"), r.number("accuracy")))
                .toList();
        List<Metric> metrics = ParquetTable.read(new Path(dir, "metrics.parquet"), hadoop).stream().filter(RunResults::mtil)
                .map(r -> new Metric(r.string("method"), r.string("dataset"), r.nullableNumber("transfer"), r.number("average"),
                        r.number("last")))
                .toList();
        List<Expert> experts = ParquetTable.read(new Path(dir, "experts.parquet"), hadoop).stream()
                .map(r -> new Expert(r.string("method"), r.integer("task_index"), r.string("task"), r.string("module"),
                        r.integer("expert"), r.number("count"), r.bool("merged")))
                .toList();
        List<TaskCost> costs = ParquetTable.read(new Path(dir, "tasks.parquet"), hadoop).stream()
                .map(r -> new TaskCost(r.string("method"), r.integer("task_index"), r.string("task"), r.number("train_seconds"),
                        r.number("eval_seconds"), r.integer("iterations"), r.integer("workers"), r.integer("batch_per_rank"),
                        r.longInteger("trainable_parameters"), r.number("peak_rss_mb"), r.nullableNumber("loss"),
                        r.nullableNumber("clip_loss"), r.nullableNumber("ago_loss")))
                .toList();
        return new RunResults(runDir, manifest, accuracy, metrics, experts, costs);
    }

    /** Whether a row of accuracy or metrics is the MTIL setting's. */
    private static boolean mtil(ParquetTable.Row r) {
        return r.stringOr("setting", EvalSetting.MTIL.id()).equals(EvalSetting.MTIL.id());
    }

    /** The results folder the manifest names. */
    public String resultsDir() {
        return runDir + "/" + manifest.results;
    }

    public String runId() {
        return manifest.runId;
    }

    public List<String> datasets() {
        return manifest.datasets;
    }

    /** The methods: the manifest's, in its order, then any other that has accuracy rows. */
    public List<String> methods() {
        Set<String> m = new LinkedHashSet<>(manifest.methods.keySet());
        accuracy.forEach(a -> m.add(a.method()));
        return List.copyOf(m);
    }

    /** The accuracy matrix of a method: rows 0 (zero-shot) to n, one column per dataset; NaN where not evaluated yet. */
    public double[][] matrix(String method) {
        int n = datasets().size();
        double[][] rows = new double[n + 1][n];
        for (double[] row : rows) {
            Arrays.fill(row, Double.NaN);
        }
        for (Accuracy a : accuracy) {
            if (a.method().equals(method)) {
                if (a.afterTask() < 0 || a.afterTask() > n || a.datasetIndex() < 1 || a.datasetIndex() > n) {
                    throw new IllegalArgumentException(resultsDir() + "/accuracy.parquet: method " + method + " has a row after task "
                            + a.afterTask() + " on dataset " + a.datasetIndex() + ", outside the manifest's " + n + " datasets");
                }
                rows[a.afterTask()][a.datasetIndex() - 1] = a.accuracy();
            }
        }
        return rows;
    }

    /** The continual-learning metrics of a method whose matrix is complete; null while it is not. */
    public ContinualMetrics continualMetrics(String method) {
        double[][] rows = matrix(method);
        for (double[] row : rows) {
            for (double v : row) {
                if (Double.isNaN(v)) {
                    return null;
                }
            }
        }
        return ContinualMetrics.of(datasets(), rows, true);
    }

    /** The metrics row of a method for a dataset (or {@link #ALL}); null if the job wrote none. */
    public Metric metric(String method, String dataset) {
        return metrics.stream().filter(m -> m.method().equals(method) && m.dataset().equals(dataset)).findFirst().orElse(null);
    }

    /** The expert rows of one method. */
    public List<Expert> experts(String method) {
        return experts.stream().filter(e -> e.method().equals(method)).toList();
    }

    /** The cost rows of one method, by task. */
    public List<TaskCost> costs(String method) {
        List<TaskCost> c = new ArrayList<>(costs.stream().filter(t -> t.method().equals(method)).toList());
        c.sort((a, b) -> Integer.compare(a.taskIndex(), b.taskIndex()));
        return c;
    }
}
