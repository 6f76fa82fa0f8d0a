package dev.dacspark.spark.continual;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.spark.storage.Storage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the run's results as tables for Spark SQL, notebooks and reports (read back by {@code spark.report.RunResults}),
 * rebuilt from the manifest after every commit into a new folder {@code results/<seq>-<uid>/}: {@code accuracy},
 * {@code metrics} (complete methods), {@code experts} (vote counts), {@code tasks} (costs), and {@code results.json}.
 * {@code accuracy} and {@code metrics} have a row per evaluation setting ({@code setting}: {@code mtil}, {@code x-tail});
 * in {@code results.json} a method's MTIL figures are its own keys (as before settings existed) and another
 * setting's are under that setting's id.
 */
final class ResultsWriter {
    static final StructType ACCURACY = new StructType().add("run_id", DataTypes.StringType, false)
            .add("method", DataTypes.StringType, false).add("after_task", DataTypes.IntegerType, false)
            .add("after_task_name", DataTypes.StringType, false).add("dataset", DataTypes.StringType, false)
            .add("dataset_index", DataTypes.IntegerType, false).add("accuracy", DataTypes.DoubleType, false)
            .add("setting", DataTypes.StringType, false);
    static final StructType METRICS = new StructType().add("run_id", DataTypes.StringType, false)
            .add("method", DataTypes.StringType, false).add("dataset", DataTypes.StringType, false)
            .add("transfer", DataTypes.DoubleType, true).add("average", DataTypes.DoubleType, false)
            .add("last", DataTypes.DoubleType, false).add("setting", DataTypes.StringType, false);
    static final StructType EXPERTS = new StructType().add("run_id", DataTypes.StringType, false)
            .add("method", DataTypes.StringType, false).add("task_index", DataTypes.IntegerType, false)
            .add("task", DataTypes.StringType, false).add("module", DataTypes.StringType, false)
            .add("expert", DataTypes.IntegerType, false).add("count", DataTypes.DoubleType, false)
            .add("merged", DataTypes.BooleanType, false);
    static final StructType TASKS = new StructType().add("run_id", DataTypes.StringType, false)
            .add("method", DataTypes.StringType, false).add("task_index", DataTypes.IntegerType, false)
            .add("task", DataTypes.StringType, false).add("train_seconds", DataTypes.DoubleType, false)
            .add("eval_seconds", DataTypes.DoubleType, false).add("iterations", DataTypes.IntegerType, false)
            .add("workers", DataTypes.IntegerType, false).add("batch_per_rank", DataTypes.IntegerType, false)
            .add("trainable_parameters", DataTypes.LongType, false).add("peak_rss_mb", DataTypes.DoubleType, false)
            .add("loss", DataTypes.DoubleType, false).add("clip_loss", DataTypes.DoubleType, false)
            .add("ago_loss", DataTypes.DoubleType, false);

    private ResultsWriter() {}

    /** A task's vote counts per module and expert (and which experts were merged), as a Parquet folder. */
    static void writeExperts(SparkSession spark, String uri, String runId, String method, int taskIndex, String task,
            ExpertPools pools) {
        List<Row> rows = new ArrayList<>();
        for (ExpertPool pool : pools.pools().values()) {
            float[] counts = pool.counts();
            java.util.Set<Integer> merged = new java.util.HashSet<>();
            for (int e : pool.topExpertsByCount()) {
                merged.add(e);
            }
            for (int e = 0; e < counts.length; e++) {
                rows.add(RowFactory.create(runId, method, taskIndex, task, pool.name(), e, (double) counts[e], merged.contains(e)));
            }
        }
        spark.createDataFrame(rows, EXPERTS).coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(uri);
    }

    /** Writes every table of the manifest's committed state under {@code dir} (a fresh folder). */
    static void write(SparkSession spark, String runDir, String dir, RunManifest manifest) {
        List<Row> accuracy = new ArrayList<>();
        List<Row> metrics = new ArrayList<>();
        List<Row> tasks = new ArrayList<>();
        List<String> experts = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run_id", manifest.runId);
        Map<String, Object> methodsJson = new LinkedHashMap<>();
        List<String> datasets = manifest.datasets;
        manifest.methods.forEach((method, state) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("datasets", datasets);
            for (EvalSetting setting : state.settings()) {
                Map<String, Object> figures = setting == EvalSetting.MTIL ? m : new LinkedHashMap<>();
                settingRows(manifest.runId, method, setting, state, datasets, accuracy, metrics, figures);
                if (setting != EvalSetting.MTIL) {
                    m.put(setting.id(), figures);
                }
            }
            for (RunManifest.TaskEntry t : state.tasks) {
                tasks.add(RowFactory.create(manifest.runId, method, t.index(), t.name(), t.trainSeconds(), t.evalSeconds(),
                        t.iterations(), t.workers(), t.batchPerRank(), t.trainableParameters(), t.peakRssMb(), t.loss(),
                        t.clipLoss(), t.agoLoss()));
                if (t.experts() != null) {
                    experts.add(runDir + "/" + t.experts());
                }
            }
            methodsJson.put(method, m);
        });
        json.put("methods", methodsJson);
        spark.createDataFrame(accuracy, ACCURACY).coalesce(1).write().parquet(dir + "/accuracy.parquet");
        spark.createDataFrame(metrics, METRICS).coalesce(1).write().parquet(dir + "/metrics.parquet");
        spark.createDataFrame(tasks, TASKS).coalesce(1).write().parquet(dir + "/tasks.parquet");
        Dataset<Row> expertRows = experts.isEmpty() ? spark.createDataFrame(List.of(), EXPERTS)
                : spark.read().schema(EXPERTS).parquet(experts.toArray(String[]::new));
        expertRows.coalesce(1).write().parquet(dir + "/experts.parquet");
        Storage.writeJson(dir + "/results.json", json, spark.sparkContext().hadoopConfiguration());
    }

    /**
     * One method's rows of one setting: its accuracy matrix (after task 0 = zero-shot) into {@code accuracy}, and when
     * the method is complete its metrics into {@code metrics}; the same figures into {@code json}.
     */
    private static void settingRows(String runId, String method, EvalSetting setting, RunManifest.MethodState state,
            List<String> datasets, List<Row> accuracy, List<Row> metrics, Map<String, Object> json) {
        List<List<Double>> rows = state.rows(setting);
        for (int i = 0; i < rows.size(); i++) {
            String after = i == 0 ? "zero-shot" : datasets.get(i - 1);
            for (int j = 0; j < datasets.size(); j++) {
                accuracy.add(RowFactory.create(runId, method, i, after, datasets.get(j), j + 1, rows.get(i).get(j), setting.id()));
            }
        }
        json.put("zero_shot", rows.get(0));
        json.put("accuracy", rows.subList(1, rows.size()));
        if (state.complete) {
            ContinualMetrics cm = state.metrics(setting, datasets);
            Map<String, Object> all = cm.toMap();
            for (String k : new String[] {"transfer", "average", "last", "per_dataset"}) {
                if (all.containsKey(k)) {
                    json.put(k, all.get(k));
                }
            }
            metrics.add(RowFactory.create(runId, method, "all", cm.tasks() >= 2 ? cm.transfer() : null, cm.average(), cm.last(),
                    setting.id()));
            for (int j = 1; j <= cm.tasks(); j++) {
                metrics.add(RowFactory.create(runId, method, datasets.get(j - 1), j >= 2 ? cm.transfer(j) : null,
                        cm.average(j), cm.last(j), setting.id()));
            }
        }
    }
}
