package dev.dacspark.spark.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.storage.Storage;
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
import java.util.function.ToDoubleFunction;

/**
 * The results across a sweep: one table per (evaluation setting, method), a row per configuration (the values of
 * the axes that are not replicates and not the methods), with the mean and sample standard deviation over that
 * configuration's complete runs (its replicates: seeds by default) of Transfer / Average / Last. Written beside the
 * runs as {@code sweep-results.json} and the Parquet table {@code sweep-results.parquet} (one row per table row,
 * columns {@link #SCHEMA}), and shown by {@link HtmlReport#sweep}.
 *
 * @param runs the sweep's runs as its manifest lists them, for the page's run list
 */
public record SweepTable(String sweepId, List<RunRow> runs, List<Line> lines) {

    /** A run of the sweep: its axis values, state, run folder and error (null unless failed). */
    public record RunRow(String id, Map<String, String> axes, String state, String runDir, String error) {}

    /** A mean and a sample standard deviation; std is null with one value, both are null when the metric is undefined. */
    public record Stat(Double mean, Double std) {
        static Stat of(List<Double> values) {
            if (values.isEmpty() || values.contains(null)) {
                return new Stat(null, null);
            }
            double mean = values.stream().mapToDouble(Double::doubleValue).sum() / values.size();
            if (values.size() < 2) {
                return new Stat(mean, null);
            }
            double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
            return new Stat(mean, Math.sqrt(ss / (values.size() - 1)));
        }
    }

    /** One row of one (setting, method) table: a configuration, its runs, and the statistics over them. */
    public record Line(String setting, String method, String configuration, Map<String, String> axes, List<String> runIds,
            Stat transfer, Stat average, Stat last) {}

    /** The Parquet table's columns. */
    public static final StructType SCHEMA = new StructType().add("sweep_id", DataTypes.StringType, false)
            .add("setting", DataTypes.StringType, false).add("method", DataTypes.StringType, false)
            .add("configuration", DataTypes.StringType, false).add("runs", DataTypes.IntegerType, false)
            .add("run_ids", DataTypes.StringType, false)
            .add("transfer_mean", DataTypes.DoubleType, true).add("transfer_std", DataTypes.DoubleType, true)
            .add("average_mean", DataTypes.DoubleType, true).add("average_std", DataTypes.DoubleType, true)
            .add("last_mean", DataTypes.DoubleType, true).add("last_std", DataTypes.DoubleType, true);
    public static final String JSON_FILE = "sweep-results.json";
    public static final String PARQUET = "sweep-results.parquet";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A complete run's results: its id, axis values, and Transfer / Average / Last per setting and method. */
    public record RunMetrics(String id, Map<String, String> axes, Map<EvalSetting, Map<String, ContinualMetrics>> metrics) {}

    /**
     * The tables of the complete runs {@code done} (in the sweep's order), rows told apart by the axes
     * {@code groupAxes}: settings in their order, methods and configurations in order of first appearance.
     */
    public static SweepTable of(String sweepId, List<RunRow> runs, List<String> groupAxes, List<RunMetrics> done) {
        record Cell(EvalSetting setting, String method, String configuration) {}
        Map<Cell, List<RunMetrics>> cells = new LinkedHashMap<>();
        Map<String, Map<String, String>> configurations = new LinkedHashMap<>();
        for (EvalSetting setting : EvalSetting.values()) {
            for (RunMetrics run : done) {
                Map<String, String> axes = new LinkedHashMap<>();
                groupAxes.forEach(k -> axes.put(k, run.axes().get(k)));
                String configuration = configuration(axes);
                configurations.put(configuration, axes);
                run.metrics().getOrDefault(setting, Map.of()).keySet().forEach(method ->
                        cells.computeIfAbsent(new Cell(setting, method, configuration), k -> new ArrayList<>()).add(run));
            }
        }
        List<Line> lines = new ArrayList<>();
        cells.forEach((cell, members) -> {
            List<ContinualMetrics> m = members.stream().map(r -> r.metrics().get(cell.setting()).get(cell.method())).toList();
            lines.add(new Line(cell.setting().id(), cell.method(), cell.configuration(), configurations.get(cell.configuration()),
                    members.stream().map(RunMetrics::id).toList(),
                    stat(m, c -> c.tasks() >= 2 ? c.transfer() : Double.NaN), stat(m, ContinualMetrics::average),
                    stat(m, ContinualMetrics::last)));
        });
        return new SweepTable(sweepId, List.copyOf(runs), List.copyOf(lines));
    }

    private static Stat stat(List<ContinualMetrics> metrics, ToDoubleFunction<ContinualMetrics> f) {
        return Stat.of(metrics.stream().map(m -> {
            double v = f.applyAsDouble(m);
            return Double.isNaN(v) ? null : v;
        }).toList());
    }

    /** How a configuration is named in the tables: {@code key=label, ...}, or "all runs" when only replicates vary. */
    static String configuration(Map<String, String> axes) {
        if (axes.isEmpty()) {
            return "all runs";
        }
        List<String> parts = new ArrayList<>();
        axes.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(", ", parts);
    }

    /** The (setting, method) tables, keyed "setting / method", rows in order. */
    public Map<String, List<Line>> tables() {
        Map<String, List<Line>> out = new LinkedHashMap<>();
        lines.forEach(l -> out.computeIfAbsent(l.setting() + " / " + l.method(), k -> new ArrayList<>()).add(l));
        return out;
    }

    /** Writes {@link #JSON_FILE} and {@link #PARQUET} (replacing earlier ones) in the sweep folder. */
    public void write(SparkSession spark, String sweepDir) {
        List<Map<String, Object>> tables = new ArrayList<>();
        tables().forEach((name, rows) -> {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("setting", rows.get(0).setting());
            t.put("method", rows.get(0).method());
            t.put("rows", rows.stream().map(SweepTable::json).toList());
            tables.add(t);
        });
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("sweep_id", sweepId);
        json.put("tables", tables);
        try {
            Storage.publish(sweepDir + "/" + JSON_FILE, JSON.writeValueAsBytes(json), spark.sparkContext().hadoopConfiguration());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        List<Row> rows = lines.stream().map(l -> RowFactory.create(sweepId, l.setting(), l.method(), l.configuration(),
                l.runIds().size(), String.join(",", l.runIds()), l.transfer().mean(), l.transfer().std(), l.average().mean(),
                l.average().std(), l.last().mean(), l.last().std())).toList();
        spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(sweepDir + "/" + PARQUET);
    }

    private static Map<String, Object> json(Line l) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("configuration", l.configuration());
        r.put("axes", l.axes());
        r.put("runs", l.runIds());
        r.put("transfer", json(l.transfer()));
        r.put("average", json(l.average()));
        r.put("last", json(l.last()));
        return r;
    }

    private static Map<String, Object> json(Stat s) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("mean", s.mean());
        v.put("std", s.std());
        return v;
    }
}
