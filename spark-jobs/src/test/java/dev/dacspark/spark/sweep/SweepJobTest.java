package dev.dacspark.spark.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.report.SweepTable;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TinyWorld;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sweeps on two executor JVMs (local-cluster[2,1,1024]) over a two-task stream: 2 methods x 2 seeds at W = 1, two
 * runs at a time, each as if started alone; a sweep whose driver is killed and started again; failed runs reported
 * while the others finish.
 */
class SweepJobTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static final StageSpans STAGES = new StageSpans();
    static SweepJob.Outcome uninterrupted;
    static final List<String> RUNS = List.of("methods-dac_seed-1", "methods-dac_seed-2", "methods-seq-lora_seed-1",
            "methods-seq-lora_seed-2");

    /** Every completed stage's job group and time span (ms), as the scheduler reports them. */
    static final class StageSpans extends SparkListener {
        record Span(String group, long start, long end) {}

        private final Map<Integer, String> groups = new HashMap<>();
        final List<Span> spans = new ArrayList<>();

        @Override
        public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
            groups.put(e.stageInfo().stageId(), e.properties() == null ? null : e.properties().getProperty("spark.jobGroup.id"));
        }

        @Override
        public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
            var info = e.stageInfo();
            String group = groups.get(info.stageId());
            if (group != null && info.submissionTime().isDefined() && info.completionTime().isDefined()) {
                spans.add(new Span(group, (Long) info.submissionTime().get(), (Long) info.completionTime().get()));
            }
        }

        /** The largest number of job groups (of this prefix) with a stage running at one time. */
        synchronized int mostGroupsAtOnce(String prefix) {
            int most = 0;
            for (Span s : spans) {
                if (s.group().startsWith(prefix)) {
                    long t = s.start();
                    most = Math.max(most, (int) spans.stream().filter(o -> o.group().startsWith(prefix) && o.start() <= t && t < o.end())
                            .map(Span::group).distinct().count());
                }
            }
            return most;
        }

        synchronized TreeSet<String> groups(String prefix) {
            return new TreeSet<>(spans.stream().map(Span::group).filter(g -> g.startsWith(prefix)).toList());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSessions.localCluster(Map.of("spark.barrier.sync.timeout", "120s"));
        spark.sparkContext().addSparkListener(STAGES);
        TinyWorld.checkpoint(dir, 3);
        TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 4, 3, 21);
        TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 4, 3, 22);
        PrepConfig prep = PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 1, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}.", "{}"], shots = 2 }
                  { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."], shots = 2 } ] }
                """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri())), null);
        new PrepJob(spark, prep).run();
        Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** The sweep config (HOCON) of the 2 x 2 grid with its runs under {@code output}; {@code extra} is appended. */
    static String grid(String id, String output, String extra) {
        return """
                dac {
                  seed = 7
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  method { dropout = 0 }
                  train { iterations = 4, batch-size = 4 }
                  eval { batch-size = 8 }
                  output = "%s"
                  job { data = "data", workers = 1, checkpoint-every = 2, ring-timeout = 20s }
                  sweep { id = %s, axes { "dac.seed" = [1, 2], "dac.methods" = [[dac], [seq-lora]] } }
                }
                %s
                """.formatted(output, id, extra);
    }

    static SweepConfig sweep(String hocon) {
        return SweepConfig.from(ConfigFactory.parseString(hocon), dir);
    }

    static synchronized SweepJob.Outcome uninterrupted() {
        if (uninterrupted == null) {
            uninterrupted = new SweepJob(spark, sweep(grid("grid", "runs", ""))).run();
        }
        return uninterrupted;
    }

    @Test
    void twoMethodsTimesTwoSeedsRunTwoAtATimeAndEachEqualsTheSameRunStartedAlone() throws Exception {
        SweepJob.Outcome outcome = uninterrupted();
        SweepManifest m = outcome.manifest();
        assertTrue(m.complete);
        assertEquals(RUNS, m.runs.stream().map(r -> r.id).toList());
        m.runs.forEach(r -> {
            assertEquals(SweepManifest.State.DONE, r.state, r.id);
            assertEquals(1, r.starts, r.id);
        });
        SweepManifest written = SweepManifest.read(dir.resolve("runs/grid").toUri().toString(), hadoop());
        assertEquals(RUNS, written.runs.stream().map(r -> r.id).toList());
        assertEquals(List.of(SweepTable.JSON_FILE, SweepTable.PARQUET, SweepJob.PAGE), written.results);

        // two executors, W = 1: two runs at a time (their stages overlap), never three
        assertEquals(new TreeSet<>(RUNS.stream().map(r -> "grid/" + r).toList()), STAGES.groups("grid/"));
        assertEquals(2, STAGES.mostGroupsAtOnce("grid/"));

        // one run of the sweep started alone on the same cluster: the same accuracy and the same merged weights, bit for bit
        SweepConfig.Run alone = sweep(grid("grid", "alone", "")).runs().get(3);
        assertEquals("methods-seq-lora_seed-2", alone.id());
        Map<String, ContinualMetrics> aloneMetrics = new ContinualJob(spark, alone.job()).run().get(EvalSetting.MTIL);
        assertRunsEqual(runDir("runs/grid/" + alone.id()), alone.job().runDir());
        assertMetricsEqual(aloneMetrics.get("seq-lora"), manifest(runDir("runs/grid/" + alone.id())).metrics(List.of(EvalSetting.MTIL))
                .get(EvalSetting.MTIL).get("seq-lora"));

        // the results across the sweep: per method, the mean and sample std over the two seeds
        String sweepDir = runDir("runs/grid");
        JsonNode json = Storage.readJson(sweepDir + "/" + SweepTable.JSON_FILE, hadoop());
        assertEquals(2, json.at("/tables").size());
        for (JsonNode table : json.at("/tables")) {
            String method = table.at("/method").asText();
            assertEquals("mtil", table.at("/setting").asText());
            JsonNode row = table.at("/rows/0");
            assertEquals("all runs", row.at("/configuration").asText());
            double a = last(runDir("runs/grid/methods-" + method + "_seed-1"), method);
            double b = last(runDir("runs/grid/methods-" + method + "_seed-2"), method);
            assertEquals((a + b) / 2, row.at("/last/mean").asDouble(), 1e-12, method);
            assertEquals(Math.abs(a - b) / Math.sqrt(2), row.at("/last/std").asDouble(), 1e-12, method);
        }
        List<Row> parquet = spark.read().parquet(sweepDir + "/" + SweepTable.PARQUET).orderBy("method").collectAsList();
        assertEquals(List.of("dac", "seq-lora"), parquet.stream().map(r -> r.getString(r.fieldIndex("method"))).toList());
        assertEquals(2, parquet.get(0).getInt(parquet.get(0).fieldIndex("runs")));
        assertEquals(json.at("/tables/0/rows/0/average/mean").asDouble(), parquet.get(0).getDouble(parquet.get(0).fieldIndex("average_mean")),
                1e-12);
        String page = Files.readString(Path.of(URI.create(sweepDir + "/" + SweepJob.PAGE)));
        assertTrue(page.contains("class=\"sweep-results\" data-method=\"dac\" data-setting=\"mtil\"") && page.contains("methods-dac_seed-2"),
                "the sweep page has a table per method and lists the runs");
    }

    @Test
    void aSweepWhoseDriverWasKilledResumesItsUnfinishedRunsAndRedoesNoFinishedOne() throws Exception {
        Path conf = dir.resolve("killed.conf");
        Files.writeString(conf, grid("killed", "runs", ""));
        // the first start runs in its own JVM (driver and two executors) and ends itself once the third run committed task 1
        Path log = dir.resolve("killed.log");
        Process p = SparkSessions.childJvm(log, HaltingSweepDriver.class, conf.toString(), "local-cluster[2,1,1024]", RUNS.get(2), "1")
                .start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the first start did not end");
        assertEquals(3, p.exitValue(), "the test hook ends the driver with 3; log:\n" + tail(Files.readString(log)));

        String sweepDir = runDir("runs/killed");
        SweepManifest killed = SweepManifest.read(sweepDir, hadoop());
        assertFalse(killed.complete);
        assertEquals(SweepManifest.State.RUNNING, killed.runs.get(2).state);
        Map<String, byte[]> complete = new TreeMap<>(); // the manifests of the runs complete before the restart
        for (String run : RUNS) {
            if (Storage.exists(sweepDir + "/" + run + "/" + RunManifest.FILE, hadoop()) && manifest(sweepDir + "/" + run).complete) {
                complete.put(run, Storage.readBytes(sweepDir + "/" + run + "/" + RunManifest.FILE, hadoop()));
            }
        }
        assertFalse(complete.isEmpty(), "the third run started after one of the first two was done");
        RunManifest halted = manifest(sweepDir + "/" + RUNS.get(2));
        assertEquals(1, halted.methods.get("seq-lora").tasks.size());

        // started again (the halted driver's leases are live, their holder a dead process of this host: taken over at once)
        SweepManifest resumed = new SweepJob(spark, SweepConfig.load(conf)).run().manifest();
        assertTrue(resumed.complete);
        for (SweepManifest.RunEntry r : resumed.runs) {
            assertEquals(SweepManifest.State.DONE, r.state, r.id);
            assertEquals(complete.containsKey(r.id) ? 0 : 1, r.starts, r.id + ": finished runs are not started again");
        }
        for (Map.Entry<String, byte[]> e : complete.entrySet()) {
            assertArrayEquals(e.getValue(), Storage.readBytes(sweepDir + "/" + e.getKey() + "/" + RunManifest.FILE, hadoop()),
                    e.getKey() + " was not redone");
        }
        assertEquals(halted.methods.get("seq-lora").tasks.get(0),
                manifest(sweepDir + "/" + RUNS.get(2)).methods.get("seq-lora").tasks.get(0), "the halted run kept its task 1");
        // and every run ends as in the sweep that was not interrupted, bit for bit
        uninterrupted();
        for (String run : RUNS) {
            assertRunsEqual(runDir("runs/grid/" + run), sweepDir + "/" + run);
        }
    }

    @Test
    void failedRunsAreRetriedAndReportedWhileTheOthersFinish() throws Exception {
        SweepJob.Outcome o = new SweepJob(spark, sweep("""
                dac {
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  methods = [zero-shot]
                  eval { batch-size = 8 }
                  output = "runs"
                  job { data = "data" }
                  sweep { id = partly, retries = 1,
                    axes { "dac.job.data" { good = "data", missing = "no-such-data" }, "dac.train.lr" = [1e-3, -1] } }
                }
                """)).run();
        Map<String, SweepManifest.RunEntry> runs = new TreeMap<>();
        o.manifest().runs.forEach(r -> runs.put(r.id, r));
        assertFalse(o.manifest().complete);
        SweepManifest.RunEntry good = runs.get("data-good_lr-0.001");
        assertEquals(SweepManifest.State.DONE, good.state);
        assertNull(good.error);
        SweepManifest.RunEntry missing = runs.get("data-missing_lr-0.001");
        assertEquals(SweepManifest.State.FAILED, missing.state);
        assertEquals(2, missing.starts, "started once more (retries = 1)");
        assertTrue(missing.error.contains("no-such-data"), missing.error);
        for (String refused : List.of("data-good_lr--1", "data-missing_lr--1")) {
            assertEquals(SweepManifest.State.FAILED, runs.get(refused).state);
            assertEquals(0, runs.get(refused).starts, "a refused config is not started");
            assertTrue(runs.get(refused).error.contains("dac.train.lr must be > 0"), runs.get(refused).error);
        }
        // the tables hold the run that finished
        assertEquals(1, o.table().lines().size());
        assertEquals(List.of("data-good_lr-0.001"), o.table().lines().get(0).runIds());
        assertEquals("dac.job.data=good, dac.train.lr=0.001", o.table().lines().get(0).configuration());
    }

    static Configuration hadoop() {
        return spark.sparkContext().hadoopConfiguration();
    }

    static String runDir(String relative) {
        return Storage.location(dir, relative);
    }

    static RunManifest manifest(String runDir) {
        return RunManifest.read(runDir, hadoop());
    }

    static double last(String runDir, String method) {
        return manifest(runDir).metrics(List.of(EvalSetting.MTIL)).get(EvalSetting.MTIL).get(method).last();
    }

    /** Two folders of one run: the same accuracy rows and the same bytes in every task's merged checkpoint. */
    static void assertRunsEqual(String expected, String actual) throws Exception {
        RunManifest a = manifest(expected);
        RunManifest b = manifest(actual);
        assertTrue(a.complete && b.complete);
        assertEquals(a.methods.keySet(), b.methods.keySet());
        for (String method : a.methods.keySet()) {
            List<RunManifest.TaskEntry> ta = a.methods.get(method).tasks;
            List<RunManifest.TaskEntry> tb = b.methods.get(method).tasks;
            assertEquals(a.methods.get(method).zeroShot, b.methods.get(method).zeroShot);
            assertEquals(ta.size(), tb.size());
            for (int i = 0; i < ta.size(); i++) {
                assertEquals(ta.get(i).accuracy(), tb.get(i).accuracy(), method + " task " + (i + 1));
                assertNotNull(ta.get(i).merged());
                assertArrayEquals(Storage.readBytes(expected + "/" + ta.get(i).merged(), hadoop()),
                        Storage.readBytes(actual + "/" + tb.get(i).merged(), hadoop()), method + " task " + (i + 1) + " merged weights");
            }
        }
    }

    static void assertMetricsEqual(ContinualMetrics a, ContinualMetrics b) {
        for (int i = 1; i <= a.tasks(); i++) {
            for (int j = 1; j <= a.tasks(); j++) {
                assertEquals(a.acc(i, j), b.acc(i, j), 0.0, "acc[" + i + "][" + j + "]");
            }
        }
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
