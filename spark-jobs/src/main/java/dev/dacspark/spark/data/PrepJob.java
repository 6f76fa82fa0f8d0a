package dev.dacspark.spark.data;

import dev.dacspark.spark.storage.PermanentFailureWatch;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.hash.Murmur3_x86_32;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.bit_xor;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
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
        try (PermanentFailureWatch watch = PermanentFailureWatch.start(spark.sparkContext())) {
            for (PrepConfig.TaskSource task : config.tasks()) {
                try {
                    tasks.put(task.name(), prepareTask(task, hadoop));
                } catch (Exception e) { // a full or unwritable output: once, as what it is, not after Spark's retries
                    watch.rethrowIfSeen(e, "preparing task '" + task.name() + "' into " + config.output() + "/" + task.name());
                    throw e;
                }
            }
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
        long listed = listing.account().records(); // listed on the driver: no Spark job to count them
        LOG.info("prep '{}': listed {} records, {} classes", task.name(), listed, listing.classNames().size());
        logSkipped(task.name(), listing.account());
        if (listed == 0) {
            throw new IllegalArgumentException("task '" + task.name() + "': the source holds no records" + (listing.account().skipped().isEmpty()
                    ? "" : " (skipped: " + listing.account().skipped() + ", e.g. " + listing.account().examples() + ")"));
        }

        LongAccumulator processed = spark.sparkContext().longAccumulator("prep " + task.name() + " processed");
        LongAccumulator quarantined = spark.sparkContext().longAccumulator("prep " + task.name() + " quarantined");
        RecordProcessor processor = processor(task, listing, hadoop, processed, quarantined);
        // The decode stage's parallelism is ours, whatever partitions the source came in (a driver-side listing is
        // as many partitions as cores, each task a fixed share: the slowest one sets the stage's time).
        Dataset<Row> all = listing.records().repartition(decodePartitions(listed))
                .mapPartitions(processor, Encoders.row(RecordProcessor.PROCESSED))
                .persist(StorageLevel.MEMORY_AND_DISK());
        spark.sparkContext().setJobDescription("prep " + task.name() + ": decode, resize, encode");
        // One job decodes every record into the cache and counts them: per split, label and good or bad, the records and
        // the content hash (not the accumulators: task retries may count twice).
        List<Row> groups = phase(task.name(), "decode", () -> {
            try (ProgressReporter progress = new ProgressReporter(task.name(), listed, processed, quarantined, config.progressIntervalSeconds())) {
                return all.groupBy(col("split"), col("label"), col("reason").isNull().as("good"))
                        .agg(count(lit(1)), bit_xor(col("content_hash"))).collectAsList();
            }
        });
        TaskCounts counts = new TaskCounts(groups, listing.classNames().size());
        listing.account().check(task.name(), counts.good, counts.bad);
        Dataset<Row> good = all.filter(col("reason").isNull());
        Dataset<Row> bad = all.filter(col("reason").isNotNull());
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info(String.format(Locale.ROOT, "prep '%s': decoded %d, quarantined %d in %.1f s (%.0f records/s)", task.name(),
                counts.good, counts.bad, seconds, listed / seconds));

        spark.sparkContext().setJobDescription("prep " + task.name() + ": quarantine");
        // no bad record (the decode job counted them): the same empty table, without scanning the cached images for none
        Dataset<Row> quarantine = bad.select("id", "source", "split", "reason");
        Dataset<Row> rows = counts.bad == 0 ? spark.createDataFrame(List.of(), quarantine.schema()) : quarantine;
        phase(task.name(), "write quarantine", () -> rows.coalesce(1).sortWithinPartitions("id")
                .write().mode(SaveMode.Overwrite).parquet(out + "/quarantine"));
        try {
            checkUsable(task, counts, listed, bad, out);
            List<TaskCounts.Gap> gaps = checkClasses(task, listing.classNames(), counts, out);
            List<TaskCounts.Shortfall> shortOfShots = counts.shortOf(task.shots(), listing.classNames());
            if (!shortOfShots.isEmpty()) {
                LOG.warn("prep '{}': shots = {}, but {} class(es) have fewer training images, and few-shot takes all of theirs: {}", task.name(),
                        task.shots(), shortOfShots.size(), TaskCounts.some(shortOfShots));
            }
            Dataset<Row> withShards = phase(task.name(), "class ranks", () -> withClassRank(good, counts.good));
            for (String split : List.of("train", "test")) {
                writeSplit(withShards.filter(col("split").equalTo(split)), out + "/" + split, task.name(), split);
            }
            if (task.shots() > 0) {
                writeSplit(withShards.filter(col("split").equalTo("train").and(col("class_rank").leq(task.shots()))),
                        out + "/fewshot", task.name(), "fewshot");
            }
            Map<String, Object> meta = phase(task.name(), "metadata", () -> metadata(task, listing, counts, gaps, shortOfShots, hadoop, out));
            Storage.writeJson(out + "/" + TASK_METADATA, meta, hadoop);
            return meta;
        } finally {
            all.unpersist();
        }
    }

    /** The decode stage's per-record work for a task: read, decode, the split's transform, PNG, content hash. */
    private RecordProcessor processor(PrepConfig.TaskSource task, Sources.Listing listing, Configuration hadoop, LongAccumulator processed,
            LongAccumulator quarantined) {
        Double hashSplit = task.split() != null && task.split().method().equals("hash") ? task.split().trainFraction() : null;
        return new RecordProcessor(task.name(), listing.classNames(), hashSplit, config.seed(), config.resolution(), config.trainShortSide(),
                config.maxPixels(), hadoop, processed, quarantined);
    }

    /**
     * Seconds that the first task's records take through the decode stage's own per-record work on {@code threads}
     * plain threads of the driver, without Spark (the listing's records are collected to the driver first, untimed;
     * thread i takes records i, i + threads, ...): the baselines that the prep benchmark sets the job's throughput
     * against. Writes nothing.
     */
    public double decodeOnThreads(int threads) throws InterruptedException, ExecutionException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        PrepConfig.TaskSource task = config.tasks().get(0);
        Sources.Listing listing = Sources.list(spark, task, hadoop);
        List<Row> records = listing.records().collectAsList();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Row> mine = new ArrayList<>();
                for (int i = t; i < records.size(); i += threads) {
                    mine.add(records.get(i));
                }
                RecordProcessor processor = processor(task, listing, hadoop, spark.sparkContext().longAccumulator(),
                        spark.sparkContext().longAccumulator()); // an accumulator is not for two threads at once
                work.add(() -> {
                    processor.call(mine.iterator()).forEachRemaining(r -> {});
                    return null;
                });
            }
            long t0 = System.nanoTime();
            for (Future<Void> f : pool.invokeAll(work)) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Logs what the listing skipped, by reason with examples (_task.json records the same). */
    private static void logSkipped(String task, FileAccount account) {
        if (!account.skipped().isEmpty()) {
            LOG.warn("prep '{}': skipped {} of {} listed file(s), by reason: {}; e.g. {}", task, account.skippedCount(), account.listed(),
                    account.skipped(), account.examples());
        }
    }

    /** Fails a task with no good record, or with more bad ones than max-bad-fraction allows (the quarantine is written). */
    private void checkUsable(PrepConfig.TaskSource task, TaskCounts counts, long listed, Dataset<Row> bad, String out) {
        if (counts.good == 0) {
            throw new IllegalArgumentException("task '" + task.name() + "': no usable data (" + listed
                    + " records, all quarantined; " + commonReasons(bad) + "; see " + out + "/quarantine)");
        }
        double fraction = (double) counts.bad / listed;
        if (fraction > config.maxBadFraction()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "task '%s': %d of %d records (%.2f%%) are bad, above dac.prep.max-bad-fraction = %.2f%%; %s; all reasons are in %s/quarantine",
                    task.name(), counts.bad, listed, 100 * fraction, 100 * config.maxBadFraction(), commonReasons(bad), out));
        }
    }

    /**
     * The classes without images in a split: an error (as ImageFolder refuses a class without images), or, under
     * dac.prep.allow-empty-classes, a warning and _task.json's empty_classes.
     */
    private List<TaskCounts.Gap> checkClasses(PrepConfig.TaskSource task, List<String> classNames, TaskCounts counts, String out) {
        List<TaskCounts.Gap> gaps = counts.gaps(classNames);
        if (gaps.isEmpty()) {
            return gaps;
        }
        String which = gaps.size() + " of " + classNames.size() + " class(es) lack images in a split: " + TaskCounts.some(gaps)
                + (counts.bad > 0 ? " (" + counts.bad + " record(s) quarantined: " + out + "/quarantine)" : "");
        if (!config.allowEmptyClasses()) {
            throw new IllegalArgumentException("task '" + task.name() + "': " + which + ". Add images, or set dac.prep.allow-empty-classes = true "
                    + "to prepare the task anyway (_task.json's empty_classes then lists them)");
        }
        LOG.warn("prep '{}': {} (dac.prep.allow-empty-classes = true)", task.name(), which);
        return gaps;
    }

    /** Rows of the decode stage: 4 tasks per core, at most 10,000 records a task, never an empty task. */
    private int decodePartitions(long records) {
        long cores = Math.max(1, spark.sparkContext().defaultParallelism());
        return (int) Math.max(1, Math.min(records, Math.max(4 * cores, (records + 9_999) / 10_000)));
    }

    /** Above this many good records the class ranks are not collected to the driver (some 100 bytes each there). */
    private static final long RANKS_ON_DRIVER_MAX = 2_000_000;

    /**
     * The good records with class_rank: their place within (split, label) ordered by (shard_key, id), which the
     * shards and the few-shot split follow. Ranked on the key columns alone, collected and broadcast back, so that
     * the images are not shuffled and sorted by class (one partition per class: a single-class task sorted every
     * image in one task) on top of the shuffle by shard that the writes need. A task too large to collect takes the
     * window over the whole records instead. Ids are unique within a task (a manifest naming a file twice is refused),
     * so a repeated key, which would multiply rows in the join, is a bug in prep and fails the job.
     */
    private Dataset<Row> withClassRank(Dataset<Row> good, long goodCount) {
        WindowSpec byClass = Window.partitionBy("split", "label").orderBy("shard_key", "id");
        if (goodCount <= RANKS_ON_DRIVER_MAX) {
            String[] key = {"split", "label", "shard_key", "id"};
            Dataset<Row> ranks = good.select(key[0], key[1], key[2], key[3]).withColumn("class_rank", row_number().over(byClass));
            List<Row> ranked = ranks.collectAsList();
            Set<List<Object>> keys = new HashSet<>();
            for (Row r : ranked) {
                if (!keys.add(List.of(r.getString(0), r.getInt(1), r.getString(3)))) {
                    throw new IllegalStateException("prep: the record id '" + r.getString(3) + "' is listed twice in split " + r.getString(0)
                            + " (a bug in prep: ids are unique within a task)");
                }
            }
            return good.join(broadcast(spark.createDataFrame(ranked, ranks.schema())), key);
        }
        return good.withColumn("class_rank", row_number().over(byClass));
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
                .repartition(w, shardPartitionKey(col("shard"), w))
                .select("shard", "id", "label", "image", "width", "height")
                .sortWithinPartitions("shard", "label", "id")
                .write().mode(SaveMode.Overwrite).partitionBy("shard").parquet(dir));
    }

    /**
     * A column that hash-partitions shard k of w into partition k: one write task per shard. Partitioning by the shard
     * itself puts shards whose hashes collide modulo w into one task (shards 0 and 1 of 2 do: one core wrote both
     * while the other idled). Spark's hash partitioning of an int is pmod(murmur3(value, 42), w); should that ever
     * change, shards may share a task again, and the files are the same.
     */
    private static Column shardPartitionKey(Column shard, int w) {
        int[] keyOf = new int[w];
        java.util.Arrays.fill(keyOf, -1);
        int found = 0;
        for (int v = 0; found < w && v < 1000 * w; v++) {
            int p = Math.floorMod(Murmur3_x86_32.hashInt(v, 42), w);
            if (keyOf[p] < 0) {
                keyOf[p] = v;
                found++;
            }
        }
        if (found < w) {
            return shard;
        }
        Column[] keys = java.util.Arrays.stream(keyOf).mapToObj(functions::lit).toArray(Column[]::new);
        return element_at(array(keys), shard.plus(1));
    }

    private Map<String, Object> metadata(PrepConfig.TaskSource task, Sources.Listing listing, TaskCounts counted, List<TaskCounts.Gap> gaps,
            List<TaskCounts.Shortfall> shortOfShots, Configuration hadoop, String out) {
        spark.sparkContext().setJobDescription("prep " + task.name() + ": file listing");
        FileAccount account = listing.account();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", task.name());
        m.put("classnames", listing.classNames());
        m.put("labels", listing.labels());
        m.put("templates", task.templates());
        Map<String, List<Long>> counts = new LinkedHashMap<>();
        counted.perClass.forEach((split, c) -> counts.put(split, java.util.Arrays.stream(c).boxed().toList()));
        if (task.shots() > 0) {
            counts.put("fewshot", java.util.Arrays.stream(counted.perClass.get("train")).map(n -> Math.min(n, task.shots())).boxed().toList());
        }
        m.put("counts", counts);
        m.put("empty_classes", gaps);
        m.put("listed", account.listed());
        m.put("records", account.records());
        m.put("prepared", counted.good);
        m.put("quarantined", counted.bad);
        m.put("skipped", account.skipped());
        m.put("skipped_examples", account.examples());
        m.put("shots", task.shots());
        m.put("fewshot_short_classes", shortOfShots);
        m.put("split", listing.splitRule());
        if (listing.official() != null) {
            m.put("official_counts", listing.official());
        }
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("resolution", config.resolution());
        pre.put("train_short_side", config.trainShortSide());
        pre.put("test", "resize shorter side to resolution (bicubic), centre crop");
        pre.put("train", "shrink shorter side to train_short_side (bicubic), no crop");
        pre.put("encoding", "png");
        m.put("preprocessing", pre);
        m.put("seed", config.seed());
        m.put("workers", config.workers());
        m.put("content_hash", String.format("%016x:%d", counted.hash, counted.good));
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
