package dev.dacspark.spark.continual;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.storage.PermanentIoFailure;
import org.apache.hadoop.fs.FullDiskFileSystem;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.train.DistributedTrainer;
import dev.dacspark.spark.train.InProcessTrainer;
import dev.dacspark.testing.LiveArrays;
import dev.dacspark.spark.train.ShardReader;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.S3ProxyServer;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TestFiles;
import dev.dacspark.testing.TinyWorld;
import ai.djl.ndarray.NDManager;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The continual-learning job end to end on two executor JVMs (local-cluster[2,1,1024]): three tasks,
 * output on s3a:// (S3Proxy), a driver killed after a commit and resumed, an S3 outage during a
 * checkpoint write, and bad configs refused before any training.
 */
class ContinualJobTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static S3ProxyServer s3;
    static String bucket;
    static Map<String, ContinualMetrics> uninterrupted;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.launch();
        bucket = "runs-" + Long.toHexString(System.nanoTime());
        s3.createBucket(bucket);
        Map<String, String> conf = new HashMap<>(s3.sparkSettings());
        conf.put("spark.barrier.sync.timeout", "120s");
        spark = SparkSessions.localCluster(conf);
        TinyWorld.checkpoint(dir, 3);
        TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 4, 3, 21);
        TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 4, 3, 22);
        TinyWorld.task(dir.resolve("src/stripes"), TinyWorld.Kind.STRIPES, 4, 3, 23);
        PrepConfig prep = PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 2, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}.", "{}"], shots = 2 }
                  { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."], shots = 2 }
                  { name = stripes, source { type = image-folder, root = "%s" }, templates = ["{}"], shots = 2 } ] }
                """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri(),
                dir.resolve("src/stripes").toUri())), null);
        new PrepJob(spark, prep).run();
        Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** A run config (HOCON) over the prepared stream; {@code extra} is appended. */
    static String runConfig(String runId, String output, String extra) {
        return """
                dac {
                  seed = 7
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  method { dropout = 0 }
                  methods = [dac]
                  train { iterations = 4, batch-size = 4 }
                  eval { batch-size = 8 }
                  output = "%s"
                  job { run-id = %s, data = "data", workers = 2, checkpoint-every = 2, ring-timeout = 20s }
                }
                %s
                """.formatted(output, runId, extra);
    }

    static JobConfig config(String hocon) {
        return JobConfig.from(ConfigFactory.parseString(hocon), dir);
    }

    static String s3Output() {
        return "s3a://" + bucket + "/runs";
    }

    static synchronized Map<String, ContinualMetrics> uninterrupted() {
        if (uninterrupted == null) {
            uninterrupted = new ContinualJob(spark, config(runConfig("plain", s3Output(), ""))).run().get(EvalSetting.MTIL);
        }
        return uninterrupted;
    }

    @Test
    void threeTasksOnTwoExecutorsWithOutputOnS3() throws Exception {
        Map<String, ContinualMetrics> results = uninterrupted();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String run = s3Output() + "/plain";
        RunManifest manifest = RunManifest.JSON.convertValue(Storage.readJson(run + "/_manifest.json", hadoop), RunManifest.class);
        assertTrue(manifest.complete);
        assertEquals(List.of("colors", "shapes", "stripes"), manifest.datasets);
        RunManifest.MethodState dac = manifest.methods.get("dac");
        assertEquals(3, dac.tasks.size());
        assertOnlyListedFiles(run, manifest, hadoop);
        // the printed metrics are the written ones
        JsonNode json = Storage.readJson(run + "/" + manifest.results + "/results.json", hadoop);
        assertEquals(results.get("dac").last(), json.at("/methods/dac/last").asDouble(), 1e-12);
        assertEquals(results.get("dac").transfer(), json.at("/methods/dac/transfer").asDouble(), 1e-12);
        long accuracyRows = spark.read().parquet(run + "/" + manifest.results + "/accuracy.parquet").count();
        assertEquals(4 * 3, accuracyRows, "zero-shot row and one row per task, 3 datasets each");
        assertEquals(4, spark.read().parquet(run + "/" + manifest.results + "/metrics.parquet").count(), "all + 3 datasets");
        assertTrue(spark.read().parquet(run + "/" + manifest.results + "/experts.parquet").where("merged").count() > 0);

        // the last merged checkpoint reloads into the core's CLIP and scores exactly what the job measured
        RunManifest.TaskEntry last = dac.last();
        Path local = Storage.localCopy(run + "/" + last.merged(), hadoop);
        PreparedStream stream = PreparedStream.read(dir.resolve("data").toUri().toString(), hadoop);
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tokenizer = ClipTokenizer.load(dir.resolve("tokenizer.json"), 77)) {
            ClipModel model = ClipCheckpoint.load(local, m);
            ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, 8);
            for (PreparedStream.Task task : stream.tasks()) {
                var test = ShardReader.read(task.files("test"), hadoop);
                long correct = ZeroShotClassifier.correct(model, new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config())), test,
                        List.of(ZeroShotClassifier.Head.own(classifier.classEmbeddings(task.classNames(), task.templates()))), 8, m)[0];
                assertEquals(100.0 * correct / test.size(), last.accuracy().get(task.index()), 1e-9, task.name());
            }
        }
    }

    @Test
    void theSameRunInOneProcessAndAsOneRankOfTheClusterGivesTheSameResultsBitForBit() throws Exception {
        String out = dir.resolve("backends").toUri().toString();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        JobConfig cluster = config(runConfig("one-rank", out, "dac.job.workers = 1"));
        new ContinualJob(spark, cluster).run();
        // train-local, the command, on the same config: it takes this JVM's running session and trains in this JVM
        Path conf = dir.resolve("in-process.conf");
        Files.writeString(conf, runConfig("in-process", out, "dac.job.workers = 1"));
        java.io.StringWriter printed = new java.io.StringWriter();
        picocli.CommandLine cli = dev.dacspark.spark.cli.DacSparkCli.commandLine();
        cli.setOut(new java.io.PrintWriter(printed));
        assertEquals(0, cli.execute("train-local", "--config", conf.toString()), printed.toString());
        assertTrue(printed.toString().contains("Last: "), printed.toString());
        JobConfig local = JobConfig.load(conf);
        RunManifest ma = RunManifest.JSON.convertValue(Storage.readJson(cluster.runDir() + "/_manifest.json", hadoop), RunManifest.class);
        RunManifest mb = RunManifest.JSON.convertValue(Storage.readJson(local.runDir() + "/_manifest.json", hadoop), RunManifest.class);
        for (int t = 0; t < 3; t++) {
            var wa = Storage.readSafeTensors(cluster.runDir() + "/" + ma.methods.get("dac").tasks.get(t).merged(), hadoop);
            var wb = Storage.readSafeTensors(local.runDir() + "/" + mb.methods.get("dac").tasks.get(t).merged(), hadoop);
            assertEquals(wa.keySet(), wb.keySet());
            for (String k : wa.keySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(wa.get(k).toFloats(), wb.get(k).toFloats(), "task " + (t + 1) + " " + k);
            }
            assertEquals(ma.methods.get("dac").tasks.get(t).loss(), mb.methods.get("dac").tasks.get(t).loss(), 0.0);
            assertEquals(ma.methods.get("dac").tasks.get(t).accuracy(), mb.methods.get("dac").tasks.get(t).accuracy(), "task " + (t + 1));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ContinualJob(spark, config(runConfig("in-process-w2", out, "")), new InProcessTrainer(hadoop), JobEvents.NONE).run());
        assertTrue(e.getMessage().contains("dac.job.workers = 2: training in one process is one rank"), e.getMessage());
    }

    /**
     * The whole job in this JVM (the rank's training and the driver's merge, evaluation on the executors): no native
     * array outlives its task. Live arrays of the JVM, counted when each task's merged checkpoint is due, are the
     * same for tasks 2 and 3 (task 1 adds the AGO memory).
     */
    @Test
    void tasksTrainedInThisJvmLeaveNoNativeArraysBehind() {
        List<Integer> live = new ArrayList<>();
        JobEvents count = new JobEvents() {
            @Override
            public void beforeMergedCheckpoint(String method, int task) {
                live.add(LiveArrays.inThisJvm());
            }
        };
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        new ContinualJob(spark, config(runConfig("no-growth", dir.resolve("no-growth").toUri().toString(), "dac.job.workers = 1")),
                new InProcessTrainer(hadoop), count).run();
        assertEquals(3, live.size());
        assertEquals(live.get(1), live.get(2), "live native arrays of this JVM at the merge of tasks 1, 2, 3: " + live);
    }

    @Test
    void aDriverKilledAfterTask2ResumesAtTask3WithTheSameResults() throws Exception {
        Map<String, ContinualMetrics> expected = uninterrupted();
        // the first start runs in its own JVM (driver and two executors) and ends itself after committing task 2;
        // it reads S3 credentials from the environment (the AWS provider chain), so they must not reach its log
        Path conf = dir.resolve("killed.conf");
        // the halted start leaves its lease behind (lease-ttl 10 min: live when the resume starts)
        String s3Job = """
                dac.job.s3 { endpoint = "%s", path-style-access = true,
                  credentials-provider = "com.amazonaws.auth.EnvironmentVariableCredentialsProvider" }
                dac.job { lease-ttl = 10m, lease-renew = 2s }
                """.formatted(s3.endpoint());
        Files.writeString(conf, runConfig("killed", s3Output(), s3Job));
        Path log = dir.resolve("killed.log");
        ProcessBuilder pb = SparkSessions.childJvm(log, HaltingDriver.class, conf.toString(), "local-cluster[2,1,1024]", "2");
        pb.environment().put("AWS_ACCESS_KEY_ID", s3.accessKey());
        pb.environment().put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the first start did not end");
        String output = Files.readString(log);
        assertEquals(3, p.exitValue(), "the test hook ends the driver with 3 after task 2; log:\n" + tail(output));
        assertFalse(output.contains(s3.secretKey()), "the S3 secret key appears in the driver's log");

        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String run = s3Output() + "/killed";
        RunManifest before = RunManifest.JSON.convertValue(Storage.readJson(run + "/_manifest.json", hadoop), RunManifest.class);
        assertEquals(2, before.methods.get("dac").tasks.size());
        assertFalse(before.complete);

        // the halted start left its lease live; its holder is a dead process of this host, so a start takes it over at once
        RunLease.Holder left = RunLease.read(run + "/" + RunLease.FILE, hadoop);
        assertEquals(p.pid(), left.pid());
        assertTrue(left.expiry().isAfter(Instant.now()), "the halted start's lease is still live");

        // the same run again (without the hook): it takes the lease over and resumes at task 3
        Map<String, ContinualMetrics> resumed = new ContinualJob(spark, config(runConfig("killed", s3Output(), s3Job))).run().get(EvalSetting.MTIL);
        RunManifest after = RunManifest.JSON.convertValue(Storage.readJson(run + "/_manifest.json", hadoop), RunManifest.class);
        assertEquals(before.methods.get("dac").tasks, after.methods.get("dac").tasks.subList(0, 2), "tasks 1 and 2 are kept as committed");
        assertMetricsEqual(expected.get("dac"), resumed.get("dac"));
        assertOnlyListedFiles(run, after, hadoop);
        String dump = new String(Storage.fs(run, hadoop).open(Storage.path(run + "/_run.json")).readAllBytes());
        assertFalse(dump.contains(s3.secretKey()), "the run's config dump holds a credential");

        // and a different config for this run id is refused, naming what differs
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ContinualJob(spark,
                config(runConfig("killed", s3Output(), s3Job + "dac.train.lr = 1e-3"))).run());
        assertTrue(e.getMessage().contains("started with another config") && e.getMessage().contains("dac.train.lr"), e.getMessage());
    }

    @Test
    void anS3OutageDuringACheckpointWriteIsSurvivedOrResumed() throws Exception {
        Map<String, ContinualMetrics> expected = uninterrupted();
        JobConfig job = config(runConfig("outage", s3Output(), ""));
        int[] writes = {0};
        JobEvents outage = new JobEvents() {
            @Override
            public void beforeMergedCheckpoint(String method, int task) {
                if (writes[0]++ != 1) {
                    return;
                }
                // before task 2's merged checkpoint: the server goes away for 3 s
                s3.stop();
                Thread restart = new Thread(() -> {
                    try {
                        Thread.sleep(3000);
                        s3.start();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                restart.start();
            }
        };
        Map<String, ContinualMetrics> results;
        try {
            results = new ContinualJob(spark, job, new DistributedTrainer(spark, job.attempts()), outage).run().get(EvalSetting.MTIL);
        } catch (RuntimeException e) {
            // a clear failure naming the file, then a clean resume
            String message = String.valueOf(e.getMessage());
            assertTrue(message.contains("s3a://" + bucket), "the failure names the object: " + message);
            while (!s3.isRunning()) {
                Thread.sleep(200);
            }
            results = new ContinualJob(spark, job).run().get(EvalSetting.MTIL);
        }
        assertMetricsEqual(expected.get("dac"), results.get("dac"));
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String run = s3Output() + "/outage";
        assertOnlyListedFiles(run, RunManifest.JSON.convertValue(Storage.readJson(run + "/_manifest.json", hadoop), RunManifest.class),
                hadoop);
    }

    @Test
    void aResumeOnPreparedDataThatChangedIsRefusedNamingTheTask() throws Exception {
        Path data = dir.resolve("data-reprepared");
        TestFiles.copyTree(dir.resolve("data"), data);
        String out = dir.resolve("changed-data").toUri().toString();
        String hocon = runConfig("changed", out, "dac.methods = [zero-shot], dac.job.data = \"data-reprepared\"");
        new ContinualJob(spark, config(hocon)).run();
        // prep again on the same path, with other class names for one task (what a re-prep with other names writes)
        Path meta = data.resolve("shapes/" + PrepJob.TASK_METADATA);
        ObjectNode json = (ObjectNode) RunManifest.JSON.readTree(meta.toFile());
        ArrayNode names = (ArrayNode) json.get("classnames");
        String first = names.get(0).asText();
        names.set(0, names.get(1));
        names.set(1, first);
        Files.write(meta, RunManifest.JSON.writeValueAsBytes(json));
        Files.delete(meta.resolveSibling("." + PrepJob.TASK_METADATA + ".crc")); // Hadoop's checksum of the old content
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ContinualJob(spark, config(hocon)).run());
        assertTrue(e.getMessage().contains("started on other prepared data") && e.getMessage().contains("'shapes'")
                && !e.getMessage().contains("'colors'"), e.getMessage());

        // the same content prepared again (new Parquet part names) is the same data
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        PrepConfig again = PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 2, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}.", "{}"], shots = 2 } ] }
                """.formatted(dir.resolve("colors-again").toUri(), dir.resolve("src/colors").toUri())), null);
        new PrepJob(spark, again).run();
        PreparedStream original = PreparedStream.read(dir.resolve("data").toUri().toString(), hadoop);
        PreparedStream reprepared = PreparedStream.read(dir.resolve("colors-again").toUri().toString(), hadoop);
        assertNotEquals(original.tasks().get(0).files("train"), reprepared.tasks().get(0).files("train"));
        assertEquals(original.tasks().get(0).dataSha256(), reprepared.tasks().get(0).dataSha256());
        assertNotEquals(original.tasks().get(0).dataSha256(), original.tasks().get(1).dataSha256());
    }

    @Test
    void aFullDiskStopsPrepAndTrainingAtTheFirstFailureAndSaysSo() throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path failures = dir.resolve("full-disk-failures.txt");
        hadoop.set("fs.fulldisk.impl", FullDiskFileSystem.class.getName());
        hadoop.setBoolean("fs.fulldisk.impl.disable.cache", true); // each job's instances see its fulldisk.full-under
        hadoop.set("fulldisk.failures", failures.toString());
        try {
            // prep: the disk is full where the train split's Parquet files go
            hadoop.set("fulldisk.full-under", "/full-prep/colors/train/");
            PrepConfig prep = PrepConfig.from(ConfigFactory.parseString("""
                    dac.prep { output = "fulldisk://%s", workers = 2, resolution = 32, train-short-side = 40, tasks = [
                      { name = colors, source { type = image-folder, root = "%s" }, templates = ["{}"] } ] }
                    """.formatted(dir.resolve("full-prep").toUri().getPath(), dir.resolve("src/colors").toUri())), null);
            PermanentIoFailure p = assertThrows(PermanentIoFailure.class, () -> new PrepJob(spark, prep).run());
            assertEquals(PermanentIoFailure.Kind.NO_SPACE, p.kind());
            assertTrue(p.getMessage().contains("preparing task 'colors' into fulldisk://") && p.getMessage().contains("no space left on device")
                    && p.getMessage().contains("free space there"), p.getMessage());
            int prepAttempts = Files.readAllLines(failures).size();
            assertTrue(prepAttempts < 4, prepAttempts + " attempts: the first failure stops the stage, not spark.task.maxFailures = 4");

            // training: rank 0's first step checkpoint cannot be written
            Files.delete(failures);
            hadoop.set("fulldisk.full-under", "/steps/");
            String out = "fulldisk://" + dir.resolve("full-runs").toUri().getPath();
            PermanentIoFailure t = assertThrows(PermanentIoFailure.class, () -> new ContinualJob(spark, config(runConfig("full", out, ""))).run());
            assertTrue(t.getMessage().contains("cannot write step checkpoint fulldisk:") && t.getMessage().contains("no space left on device")
                    && t.getMessage().contains("training task 'colors'"), t.getMessage());
            int trainAttempts = Files.readAllLines(failures).size();
            assertTrue(trainAttempts < 4, trainAttempts + " attempts: the first failure stops the barrier stage and the trainer's attempts");
        } finally {
            hadoop.unset("fulldisk.full-under");
        }
    }

    @Test
    void aSecondStartOfARunFailsAtOnceNamingTheHolderAndLeavesTheRunFolderUntouched() throws Exception {
        Path run = dir.resolve("busy-runs/busy");
        String runUri = Storage.location(dir, "busy-runs/busy");
        // the first start's folder: its live lease and a task file it is writing, which no manifest lists yet
        Instant expiry = Instant.now().plus(Duration.ofMinutes(10));
        RunLeaseTest.place(runUri, "first-host", 4242, "first-token", expiry);
        Files.createDirectories(run.resolve("dac/task-01-colors"));
        Files.writeString(run.resolve("dac/task-01-colors/merged-0123456789ab.safetensors"), "being written by the first start");
        Map<String, String> before = contents(run);
        int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;

        JobConfig second = config(runConfig("busy", dir.resolve("busy-runs").toUri().toString(), ""));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ContinualJob(spark, second).run());
        assertTrue(e.getMessage().contains("run folder " + runUri + " is in use by another start of this run: host first-host, "
                + "pid 4242, started 2024-05-01T10:00:00Z, lease expires " + expiry), e.getMessage());
        assertTrue(e.getMessage().contains("wait for that start to end; if that process is dead, start again after " + expiry),
                e.getMessage());
        assertEquals(before, contents(run), "the refused start changed the run folder");
        assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length, "the refused start ran Spark jobs");
    }

    @Test
    void aStartWhoseLeaseIsTakenOverStopsBeforeItsNextWrite() throws Exception {
        String out = dir.resolve("taken-runs").toUri().toString();
        JobConfig job = config(runConfig("taken", out, "dac.job { workers = 1, lease-ttl = 5s, lease-renew = 100ms }"));
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String lease = job.runDir() + "/" + RunLease.FILE;
        JobEvents takeover = new JobEvents() {
            @Override
            public void beforeMergedCheckpoint(String method, int task) {
                // another start takes the run over (as after an expiry: delete, then create its own) while task 1 is merged
                Storage.delete(lease, hadoop);
                try {
                    RunLeaseTest.place(job.runDir(), "usurper-host", 777, "usurper-token", Instant.now().plus(Duration.ofMinutes(10)));
                    Thread.sleep(1000); // ten renewals: this start's renewer finds the other token
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ContinualJob(spark, job, new InProcessTrainer(hadoop), takeover).run());
        assertTrue(e.getMessage().contains("this start lost the run's lease and stops writing: its lease was taken over by "
                + "host usurper-host, pid 777"), e.getMessage());
        assertEquals("usurper-token", RunLease.read(lease, hadoop).token(), "the new holder's lease stays");
        Set<String> files = Storage.listFiles(job.runDir(), "", hadoop).keySet();
        assertTrue(files.stream().noneMatch(f -> f.contains("/merged-")), "a merged checkpoint was written after the loss: " + files);
        assertFalse(files.contains(RunStore.MANIFEST), "a commit was made after the loss: " + files);
    }

    @Test
    void badConfigsFailBeforeAnyTrainingNamingTheKeyOrPath() throws Exception {
        String out = dir.resolve("bad-runs").toUri().toString();
        assertRefused(runConfig("bad", out, "dac.job.wokers = 2"), "dac.job.wokers");
        assertRefused(runConfig("bad", out, "dac.train.iterations = many"), "iterations");
        assertRefused(runConfig("bad", out, "dac.job.data = \"no-such-data\""), "no-such-data/_manifest.json");
        Files.writeString(dir.resolve("a-file"), "not a folder");
        assertRefused(runConfig("bad", dir.resolve("a-file").toUri() + "/runs", ""), "dac.output");
        assertRefused(runConfig("bad", out, "dac.job.workers = 3"), "3 training ranks need 3 executor JVMs");
        assertRefused(runConfig("bad", out, "dac.job.workers = 2, dac.train.batch-size = 3"), "dac.train.batch-size");
        assertRefused(runConfig("bad", out, "dac.job.task-lr { shapez = 1e-3 }"), "dac.job.task-lr.shapez: no task of");
        // a task whose data went missing after prep
        Path broken = dir.resolve("broken-data");
        TestFiles.copyTree(dir.resolve("data"), broken);
        try (var files = Files.walk(broken.resolve("shapes/test"))) {
            Files.delete(files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow());
        }
        assertRefused(runConfig("bad", out, "dac.job.data = \"broken-data\""), "shapes/test/shard=");
        assertFalse(Files.exists(dir.resolve("bad-runs/bad/dac")), "nothing was trained");
    }

    private static void assertRefused(String hocon, String expected) {
        Exception e = assertThrows(Exception.class, () -> new ContinualJob(spark, config(hocon)).run());
        assertTrue(String.valueOf(e.getMessage()).contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    static void assertMetricsEqual(ContinualMetrics a, ContinualMetrics b) {
        for (int i = 1; i <= a.tasks(); i++) {
            for (int j = 1; j <= a.tasks(); j++) {
                assertEquals(a.acc(i, j), b.acc(i, j), 0.0, "acc[" + i + "][" + j + "]");
            }
        }
        assertEquals(a.last(), b.last(), 0.0);
    }

    /** Every file a manifest lists exists, and the run folder holds nothing else. */
    static void assertOnlyListedFiles(String run, RunManifest manifest, Configuration hadoop) {
        Set<String> files = new TreeSet<>(Storage.listFiles(run, "", hadoop).keySet());
        for (String listed : manifest.listed()) {
            assertTrue(files.stream().anyMatch(f -> f.equals(listed) || f.startsWith(listed + "/")), listed + " is listed but missing");
        }
        List<String> unlisted = new ArrayList<>();
        for (String f : files) {
            if (!f.equals("_run.json") && !f.equals("_manifest.json")
                    && manifest.listed().stream().noneMatch(l -> f.equals(l) || f.startsWith(l + "/"))) {
                unlisted.add(f);
            }
        }
        assertEquals(List.of(), unlisted, "files in the run folder that no manifest lists");
    }

    /** Every file under a folder (relative path -> text). */
    private static Map<String, String> contents(Path folder) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (var files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(folder.relativize(f).toString(), Files.readString(f));
            }
        }
        return out;
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
