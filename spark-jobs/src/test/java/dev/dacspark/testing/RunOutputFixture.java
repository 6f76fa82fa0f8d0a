package dev.dacspark.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.eval.ContinualMetrics;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The output folder of one run of the continual-learning job, written per the run-output contract:
 * {@code <outputRoot>/<runId>/} with {@code _run.json}, per method and task the merged, LoRA and AGO memory
 * safetensors, a results folder of Spark-written Parquet tables and {@code results.json}, and {@code _manifest.json}
 * written last, naming the results folder.
 * <p>
 * Stand-in until the job itself lands: its body will become a real tiny run of the job. Tests therefore read only
 * through the contract (the manifest names the results folder) and derive expected numbers from what was written,
 * never from how this class makes them. Like a real run, it leaves an older results folder of an earlier commit
 * beside the current one, which a reader that lists {@code results/} instead of trusting the manifest would pick up.
 */
public final class RunOutputFixture {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> DATASETS = List.of("mnist", "fashion-mnist", "kmnist");
    private static final List<String> METHODS = List.of("zero-shot", "seq-lora", "dac");
    private static final List<String> MODULES = List.of("visual.transformer.resblocks.0.attn.q_proj",
            "visual.transformer.resblocks.0.mlp.c_fc", "transformer.resblocks.0.attn.v_proj", "transformer.resblocks.0.mlp.c_proj");
    private static final int EXPERTS = 16;
    private static final int MERGED = 4;
    private static final int ITERATIONS = 40;
    private static final int WORKERS = 2;
    private static final int BATCH_PER_RANK = 4;
    private static final long TRAINABLE = 24_576;

    private RunOutputFixture() {}

    /** Writes the run {@code runId} under {@code outputRoot}; returns its folder. */
    public static Path create(SparkSession spark, Path outputRoot, String runId) {
        Path run = outputRoot.resolve(runId);
        SplittableRandom rnd = new SplittableRandom(runId.hashCode());
        String sha = sha256("run " + runId);
        Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String data = outputRoot.resolve("prep").toUri().toString();
        write(run.resolve("_run.json"), map("run_id", runId, "config_sha256", sha,
                "config", map("dac", map("output", outputRoot.toUri().toString(), "job", map("run-id", runId))),
                "data", data, "created", started.toString()));

        int n = DATASETS.size();
        double[] zeroShot = new double[n];
        for (int j = 0; j < n; j++) {
            zeroShot[j] = tenth(60 - 12 * j + rnd.nextDouble(-3, 3));
        }
        Map<String, double[][]> matrices = new LinkedHashMap<>(); // method -> rows 0..n
        Map<String, List<Row>> experts = new LinkedHashMap<>();
        Map<String, List<Row>> costs = new LinkedHashMap<>();
        Map<String, Object> manifestMethods = new LinkedHashMap<>();
        for (String method : METHODS) {
            double[][] rows = matrix(method, zeroShot, rnd);
            matrices.put(method, rows);
            List<Map<String, Object>> tasks = new ArrayList<>();
            List<Row> expertRows = new ArrayList<>();
            List<Row> costRows = new ArrayList<>();
            for (int t = 1; t <= n; t++) {
                String task = DATASETS.get(t - 1);
                double train = method.equals("zero-shot") ? 0 : tenth(30 + rnd.nextDouble(0, 8));
                double eval = tenth(4 + rnd.nextDouble(0, 1));
                Map<String, Object> entry = map("index", t, "name", task);
                if (!method.equals("zero-shot")) {
                    String dir = method + "/" + String.format(Locale.ROOT, "task-%02d-%s", t, task) + "/";
                    String uid = uid(rnd);
                    double[][] counts = votes(method, rnd);
                    writeSafetensors(run, dir, uid, method, counts);
                    entry.putAll(map("merged", dir + "merged-" + uid + ".safetensors", "lora", dir + "lora-" + uid + ".safetensors",
                            "memory", dir + "memory-" + uid + ".safetensors"));
                    for (int m = 0; m < MODULES.size(); m++) {
                        boolean[] merged = merged(method, counts[m]);
                        for (int e = 0; e < EXPERTS; e++) {
                            expertRows.add(RowFactory.create(runId, method, t, task, MODULES.get(m), e, counts[m][e], merged[e]));
                        }
                    }
                }
                double clip = method.equals("zero-shot") ? Double.NaN : 1.2 + rnd.nextDouble(0, 0.4);
                double ago = method.equals("dac") ? 0.05 + rnd.nextDouble(0, 0.05) : 0;
                costRows.add(RowFactory.create(runId, method, t, task, train, eval, method.equals("zero-shot") ? 0 : ITERATIONS,
                        WORKERS, BATCH_PER_RANK, method.equals("zero-shot") ? 0L : TRAINABLE, tenth(2400 + rnd.nextDouble(0, 300)),
                        nullIfNaN(clip + 0.1 * ago), nullIfNaN(clip), method.equals("zero-shot") ? null : ago));
                entry.putAll(map("accuracy", list(rows[t]), "train_seconds", train, "eval_seconds", eval));
                tasks.add(entry);
            }
            experts.put(method, expertRows);
            costs.put(method, costRows);
            manifestMethods.put(method, map("complete", true, "zero_shot", list(rows[0]), "tasks", tasks));
        }

        // An earlier commit's results (the last method one task short), then the current ones.
        int commits = METHODS.size() * n;
        String stale = String.format(Locale.ROOT, "results/%04d-%s", commits - 1, uid(rnd));
        writeResults(spark, run.resolve(stale), runId, matrices, experts, costs, "dac", n - 1);
        String current = String.format(Locale.ROOT, "results/%04d-%s", commits, uid(rnd));
        writeResults(spark, run.resolve(current), runId, matrices, experts, costs, null, n);

        write(run.resolve("_manifest.json"), map("run_id", runId, "config_sha256", sha, "data", data, "datasets", DATASETS,
                "started", started.toString(), "updated", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(),
                "complete", true, "results", current, "methods", manifestMethods));
        return run;
    }

    /** Rows 0 (zero-shot) .. n of a method's accuracy matrix, in percent with one decimal (1,000 test images). */
    private static double[][] matrix(String method, double[] zeroShot, SplittableRandom rnd) {
        int n = zeroShot.length;
        double[][] rows = new double[n + 1][n];
        rows[0] = zeroShot.clone();
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= n; j++) {
                double z = zeroShot[j - 1];
                double v = switch (method) {
                    case "zero-shot" -> z;
                    case "seq-lora" -> j <= i ? z + 32 - (i - j) * rnd.nextDouble(8, 15) : z - rnd.nextDouble(2, 5);
                    default -> j <= i ? z + 30 - (i - j) * rnd.nextDouble(0.3, 1.5) : z - rnd.nextDouble(0, 1);
                };
                rows[i][j - 1] = tenth(Math.max(0, Math.min(100, v)));
            }
        }
        return rows;
    }

    /** Vote counts per module and expert over a task: DAC's routing concentrates them, dense routing spreads them. */
    private static double[][] votes(String method, SplittableRandom rnd) {
        double[][] counts = new double[MODULES.size()][EXPERTS];
        double total = ITERATIONS * WORKERS * BATCH_PER_RANK * 8.0; // every sample votes for its top-8
        for (double[] module : counts) {
            if (method.equals("seq-lora")) {
                Arrays.fill(module, total / EXPERTS);
                continue;
            }
            double[] w = new double[EXPERTS];
            double sum = 0;
            for (int e = 0; e < EXPERTS; e++) {
                w[e] = Math.pow(rnd.nextDouble(0.05, 1), 3);
                sum += w[e];
            }
            for (int e = 0; e < EXPERTS; e++) {
                module[e] = Math.rint(total * w[e] / sum);
            }
        }
        return counts;
    }

    /** The merged experts: the top-4 by count (ties to the lower index), or every expert with dense routing. */
    private static boolean[] merged(String method, double[] counts) {
        boolean[] merged = new boolean[counts.length];
        if (method.equals("seq-lora")) {
            Arrays.fill(merged, true);
            return merged;
        }
        for (int k = 0; k < MERGED; k++) {
            int best = -1;
            for (int e = 0; e < counts.length; e++) {
                if (!merged[e] && (best < 0 || counts[e] > counts[best])) {
                    best = e;
                }
            }
            merged[best] = true;
        }
        return merged;
    }

    private static void writeSafetensors(Path run, String dir, String uid, String method, double[][] counts) {
        int d = 8;
        Map<String, SafeTensors.Tensor> lora = new LinkedHashMap<>();
        Map<String, SafeTensors.Tensor> memory = new LinkedHashMap<>();
        for (int m = 0; m < MODULES.size(); m++) {
            String module = MODULES.get(m);
            float[] counted = new float[EXPERTS];
            for (int e = 0; e < EXPERTS; e++) {
                counted[e] = (float) counts[m][e];
            }
            boolean[] merged = merged(method, counts[m]);
            long[] mergedIdx = IntStream.range(0, EXPERTS).filter(e -> merged[e]).asLongStream().toArray();
            lora.put(module + ".lora_A", SafeTensors.Tensor.ofFloats(new long[] {EXPERTS, d}, new float[EXPERTS * d]));
            lora.put(module + ".lora_B", SafeTensors.Tensor.ofFloats(new long[] {d, EXPERTS}, new float[EXPERTS * d]));
            lora.put(module + ".router.weight", SafeTensors.Tensor.ofFloats(new long[] {EXPERTS, d}, new float[EXPERTS * d]));
            lora.put(module + ".router.bias", SafeTensors.Tensor.ofFloats(new long[] {EXPERTS}, new float[EXPERTS]));
            lora.put(module + ".counts", SafeTensors.Tensor.ofFloats(new long[] {EXPERTS}, counted));
            lora.put(module + ".merged_experts", SafeTensors.Tensor.ofLongs(new long[] {mergedIdx.length}, mergedIdx));
            memory.put(module, SafeTensors.Tensor.ofFloats(new long[] {d, mergedIdx.length}, new float[d * mergedIdx.length]));
        }
        SafeTensors.write(run.resolve(dir + "lora-" + uid + ".safetensors"), lora, Map.of());
        SafeTensors.write(run.resolve(dir + "memory-" + uid + ".safetensors"), memory, Map.of());
        SafeTensors.write(run.resolve(dir + "merged-" + uid + ".safetensors"),
                Map.of("logit_scale", SafeTensors.Tensor.ofFloats(new long[] {}, new float[] {4.6052f})), Map.of());
    }

    /**
     * The results folder: the four Parquet tables and results.json, with {@code shortMethod} (if not null) known only
     * up to task {@code shortAfter}, as in a commit before that method's last task.
     */
    private static void writeResults(SparkSession spark, Path dir, String runId, Map<String, double[][]> matrices,
            Map<String, List<Row>> experts, Map<String, List<Row>> costs, String shortMethod, int shortAfter) {
        int n = DATASETS.size();
        List<Row> accuracy = new ArrayList<>();
        List<Row> metrics = new ArrayList<>();
        List<Row> expertRows = new ArrayList<>();
        List<Row> costRows = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        for (Map.Entry<String, double[][]> e : matrices.entrySet()) {
            String method = e.getKey();
            int upTo = method.equals(shortMethod) ? shortAfter : n;
            double[][] rows = e.getValue();
            for (int i = 0; i <= upTo; i++) {
                for (int j = 1; j <= n; j++) {
                    accuracy.add(RowFactory.create(runId, method, i, i == 0 ? "zero-shot" : DATASETS.get(i - 1), DATASETS.get(j - 1), j,
                            rows[i][j - 1]));
                }
            }
            experts.get(method).stream().filter(r -> r.getInt(2) <= upTo).forEach(expertRows::add);
            costs.get(method).stream().filter(r -> r.getInt(2) <= upTo).forEach(costRows::add);
            Map<String, Object> m = new LinkedHashMap<>();
            if (upTo == n) {
                ContinualMetrics cm = ContinualMetrics.of(DATASETS, rows, true);
                m.putAll(cm.toMap());
                for (int j = 1; j <= n; j++) {
                    metrics.add(RowFactory.create(runId, method, DATASETS.get(j - 1), j >= 2 ? cm.transfer(j) : null, cm.average(j), cm.last(j)));
                }
                metrics.add(RowFactory.create(runId, method, "all", cm.transfer(), cm.average(), cm.last()));
            } else {
                List<List<Double>> known = new ArrayList<>();
                for (int i = 1; i <= upTo; i++) {
                    known.add(list(rows[i]));
                }
                m.putAll(map("datasets", DATASETS, "zero_shot", list(rows[0]), "accuracy", known));
            }
            json.put(method, m);
        }
        table(spark, accuracy, "run_id STRING, method STRING, after_task INT, after_task_name STRING, dataset STRING, "
                + "dataset_index INT, accuracy DOUBLE", dir.resolve("accuracy.parquet"));
        table(spark, metrics, "run_id STRING, method STRING, dataset STRING, transfer DOUBLE, average DOUBLE, last DOUBLE",
                dir.resolve("metrics.parquet"));
        table(spark, expertRows, "run_id STRING, method STRING, task_index INT, task STRING, module STRING, expert INT, "
                + "count DOUBLE, merged BOOLEAN", dir.resolve("experts.parquet"));
        table(spark, costRows, "run_id STRING, method STRING, task_index INT, task STRING, train_seconds DOUBLE, "
                + "eval_seconds DOUBLE, iterations INT, workers INT, batch_per_rank INT, trainable_parameters BIGINT, "
                + "peak_rss_mb DOUBLE, loss DOUBLE, clip_loss DOUBLE, ago_loss DOUBLE", dir.resolve("tasks.parquet"));
        write(dir.resolve("results.json"), map("run_id", runId, "methods", json));
    }

    private static void table(SparkSession spark, List<Row> rows, String ddl, Path path) {
        spark.createDataFrame(rows, StructType.fromDDL(ddl)).coalesce(1).write().parquet(path.toUri().toString());
    }

    private static void write(Path path, Object value) {
        try {
            Files.createDirectories(path.getParent());
            JSON.writeValue(path.toFile(), value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static List<Double> list(double[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    private static double tenth(double v) {
        return Math.rint(v * 10) / 10;
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static String uid(SplittableRandom rnd) {
        return HexFormat.of().toHexDigits(rnd.nextLong()).substring(0, 8);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
