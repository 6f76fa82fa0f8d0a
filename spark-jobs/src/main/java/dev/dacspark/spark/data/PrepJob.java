package dev.dacspark.spark.data;

import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import static org.apache.spark.sql.functions.bit_xor;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

/**
 * The prep job: reads a task stream (image folders, manifests, IDX files on file://, hdfs:// or
 * s3a://), decodes and resizes images on the executors, and writes per task and split Parquet
 * shards balanced for W training workers, a quarantine table of bad records, a per-task metadata
 * file, and a run manifest written last (readers trust only what a manifest lists).
 *
 * <pre>
 *   output/_manifest.json
 *   output/TASK/_task.json
 *   output/TASK/{train,test,fewshot}/shard=N/part-*.parquet   (id, label, image PNG, width, height)
 *   output/TASK/quarantine/part-*.parquet                     (id, source, split, reason)
 * </pre>
 */
public final class PrepJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepJob.class);
    public static final String MANIFEST = "_manifest.json";
    public static final String TASK_METADATA = "_task.json";

    private final SparkSession spark;
    private final PrepConfig config;
    private final List<Phase> phases = new ArrayList<>();

    /**
     * One phase of a task's preparation: wall seconds, and the CPU seconds of this JVM over it (on a local
     * master the executors' too; on a cluster only the driver's), NaN where the JVM cannot tell.
     */
    public record Phase(String task, String name, double wallSeconds, double cpuSeconds) {}

    public PrepJob(SparkSession spark, PrepConfig config) {
        this.spark = spark;
        this.config = config;
    }

    /** The phases of the tasks run so far, in order. */
    public List<Phase> phases() {
        return List.copyOf(phases);
    }

    /** Runs every task, then writes the manifest; returns the manifest's content. */
    public Map<String, Object> run() {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Map<String, Object> tasks = new LinkedHashMap<>();
        for (PrepConfig.TaskSource task : config.tasks()) {
            tasks.put(task.name(), prepareTask(task, hadoop));
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", "dac-spark prep v1");
        manifest.put("created", Instant.now().toString());
        manifest.put("seed", config.seed());
        manifest.put("workers", config.workers());
        manifest.put("tasks", tasks);
        Storage.writeJson(config.output() + "/" + MANIFEST, manifest, hadoop);
        LOG.info("prep: wrote {} tasks under {}", tasks.size(), config.output());
        return manifest;
    }

    private Map<String, Object> prepareTask(PrepConfig.TaskSource task, Configuration hadoop) {
        String out = config.output() + "/" + task.name();
        spark.sparkContext().setJobDescription("prep " + task.name() + ": list source");
        long t0 = System.nanoTime();
        Sources.Listing listing = phase(task.name(), "list", () -> Sources.list(spark, task, hadoop));
        long listed = phase(task.name(), "count listing", () -> listing.records().count());
        LOG.info("prep '{}': listed {} records, {} classes", task.name(), listed, listing.classNames().size());
        if (listed == 0) {
            throw new IllegalArgumentException("task '" + task.name() + "': the source holds no records");
        }

        LongAccumulator processed = spark.sparkContext().longAccumulator("prep " + task.name() + " processed");
        LongAccumulator quarantined = spark.sparkContext().longAccumulator("prep " + task.name() + " quarantined");
        RecordProcessor processor = new RecordProcessor(task.name(), listing.classNames(), task.trainFraction(), config.seed(),
                config.resolution(), config.trainShortSide(), config.maxPixels(), hadoop, processed, quarantined);
        Dataset<Row> all = listing.records().mapPartitions(processor, Encoders.row(RecordProcessor.PROCESSED))
                .persist(StorageLevel.MEMORY_AND_DISK());
        spark.sparkContext().setJobDescription("prep " + task.name() + ": decode, resize, encode");
        phase(task.name(), "decode", () -> {
            try (ProgressReporter progress = new ProgressReporter(task.name(), listed, processed, quarantined, config.progressIntervalSeconds())) {
                all.count();
            }
        });
        Dataset<Row> good = all.filter(col("reason").isNull());
        Dataset<Row> bad = all.filter(col("reason").isNotNull());
        long badCount = phase(task.name(), "count bad", () -> bad.count()); // not the accumulator: task retries may count twice
        long goodCount = listed - badCount;
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info(String.format(Locale.ROOT, "prep '%s': decoded %d, quarantined %d in %.1f s (%.0f records/s)", task.name(),
                goodCount, badCount, seconds, listed / seconds));

        spark.sparkContext().setJobDescription("prep " + task.name() + ": quarantine");
        phase(task.name(), "write quarantine", () -> bad.select("id", "source", "split", "reason").coalesce(1).sortWithinPartitions("id")
                .write().mode(SaveMode.Overwrite).parquet(out + "/quarantine"));
        try {
            if (goodCount == 0) {
                throw new IllegalArgumentException("task '" + task.name() + "': no usable data (" + listed
                        + " records, all quarantined; " + commonReasons(bad) + "; see " + out + "/quarantine)");
            }
            double fraction = (double) badCount / listed;
            if (fraction > config.maxBadFraction()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "task '%s': %d of %d records (%.2f%%) are bad, above dac.prep.max-bad-fraction = %.2f%%; %s; all reasons are in %s/quarantine",
                        task.name(), badCount, listed, 100 * fraction, 100 * config.maxBadFraction(), commonReasons(bad), out));
            }
            Dataset<Row> withShards = good.withColumn("class_rank",
                    row_number().over(Window.partitionBy("split", "label").orderBy("shard_key", "id")));
            for (String split : List.of("train", "test")) {
                writeSplit(withShards.filter(col("split").equalTo(split)), out + "/" + split, task.name(), split);
            }
            if (task.shots() > 0) {
                writeSplit(withShards.filter(col("split").equalTo("train").and(col("class_rank").leq(task.shots()))),
                        out + "/fewshot", task.name(), "fewshot");
            }
            Map<String, Object> meta = phase(task.name(), "metadata", () -> metadata(task, listing.classNames(), good, listed, badCount, hadoop, out));
            Storage.writeJson(out + "/" + TASK_METADATA, meta, hadoop);
            return meta;
        } finally {
            all.unpersist();
        }
    }

    /** The three most frequent quarantine reasons with counts (paths stripped so that alike reasons group). */
    private static String commonReasons(Dataset<Row> bad) {
        List<Row> top = bad.withColumn("why", org.apache.spark.sql.functions.regexp_replace(col("reason"), "^\\S+: ", ""))
                .groupBy("why").count().orderBy(col("count").desc(), col("why")).limit(3).collectAsList();
        StringBuilder sb = new StringBuilder("most frequent reasons: ");
        for (int i = 0; i < top.size(); i++) {
            sb.append(i == 0 ? "" : "; ").append(top.get(i).getLong(1)).append(" x '").append(top.get(i).getString(0)).append("'");
        }
        return sb.toString();
    }

    /** Writes a split as W shards, rows balanced round-robin within each class, sorted for byte-stable output. */
    private void writeSplit(Dataset<Row> rows, String dir, String task, String split) {
        spark.sparkContext().setJobDescription("prep " + task + ": write " + split);
        int w = config.workers();
        phase(task, "write " + split, () -> rows.withColumn("shard", col("class_rank").minus(1).plus(col("label")).mod(w))
                .select("shard", "id", "label", "image", "width", "height")
                .repartition(w, col("shard"))
                .sortWithinPartitions("shard", "label", "id")
                .write().mode(SaveMode.Overwrite).partitionBy("shard").parquet(dir));
    }

    private Map<String, Object> metadata(PrepConfig.TaskSource task, List<String> classNames, Dataset<Row> good, long listed,
            long bad, Configuration hadoop, String out) {
        spark.sparkContext().setJobDescription("prep " + task.name() + ": counts and content hash");
        Map<String, long[]> perClass = new TreeMap<>();
        for (Row r : good.groupBy("split", "label").agg(count(lit(1))).collectAsList()) {
            perClass.computeIfAbsent(r.getString(0), s -> new long[classNames.size()])[r.getInt(1)] = r.getLong(2);
        }
        Row hash = good.agg(bit_xor(col("content_hash")), count(lit(1))).first();
        List<String> empty = new ArrayList<>();
        long[] train = perClass.getOrDefault("train", new long[classNames.size()]);
        for (int i = 0; i < classNames.size(); i++) {
            if (train[i] == 0) {
                empty.add(classNames.get(i));
            }
        }
        if (!empty.isEmpty()) {
            LOG.warn("prep '{}': {} class(es) have no training images: {}", task.name(), empty.size(), empty);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", task.name());
        m.put("classnames", classNames);
        m.put("templates", task.templates());
        Map<String, List<Long>> counts = new LinkedHashMap<>();
        perClass.forEach((split, c) -> counts.put(split, java.util.Arrays.stream(c).boxed().toList()));
        if (task.shots() > 0) {
            counts.put("fewshot", java.util.Arrays.stream(train).map(n -> Math.min(n, task.shots())).boxed().toList());
        }
        m.put("counts", counts);
        m.put("empty_classes", empty);
        m.put("records", listed);
        m.put("quarantined", bad);
        m.put("shots", task.shots());
        m.put("split", task.trainFraction() == null ? "official" : "random " + task.trainFraction());
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("resolution", config.resolution());
        pre.put("train_short_side", config.trainShortSide());
        pre.put("test", "resize shorter side to resolution (bicubic), centre crop");
        pre.put("train", "shrink shorter side to train_short_side (bicubic), no crop");
        pre.put("encoding", "png");
        m.put("preprocessing", pre);
        m.put("seed", config.seed());
        m.put("workers", config.workers());
        m.put("content_hash", String.format("%016x:%d", hash.isNullAt(0) ? 0L : hash.getLong(0), hash.getLong(1)));
        m.put("files", Storage.listFiles(out, ".parquet", hadoop));
        return m;
    }

    /** Runs one phase of a task and records (and logs) its wall and CPU time. */
    private <T> T phase(String task, String name, Supplier<T> body) {
        long t0 = System.nanoTime();
        double cpu0 = processCpuSeconds();
        try {
            return body.get();
        } finally {
            double wall = (System.nanoTime() - t0) / 1e9;
            phases.add(new Phase(task, name, wall, processCpuSeconds() - cpu0));
            LOG.info(String.format(Locale.ROOT, "prep '%s': %s took %.2f s", task, name, wall));
        }
    }

    private void phase(String task, String name, Runnable body) {
        phase(task, name, () -> {
            body.run();
            return null;
        });
    }

    /** This JVM's CPU time in seconds, NaN where the JVM does not say. */
    static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long nanos = os.getProcessCpuTime();
            return nanos < 0 ? Double.NaN : nanos / 1e9;
        }
        return Double.NaN;
    }
}
