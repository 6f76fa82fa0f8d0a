package dev.dacspark.spark.train;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.Linear;
import dev.dacspark.clip.Module;
import dev.dacspark.clip.Precision;
import dev.dacspark.data.Sample;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPool;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.lora.VoteScope;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.S3ProxyServer;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TinyWorld;
import dev.dacspark.train.AdamW;
import dev.dacspark.train.BatchPlan;
import dev.dacspark.train.Collective;
import dev.dacspark.train.CosineSchedule;
import dev.dacspark.train.DacStep;
import dev.dacspark.train.TaskTrainer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel training on two executor JVMs (local-cluster[2,1,1024]) against the single-process
 * loop with the same shards: equivalence, a killed rank, a hung rank, checkpoints on s3a://.
 */
class DistributedTrainerTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static S3ProxyServer s3;
    static String bucket;
    static Path checkpoint;
    static List<List<String>> shardFiles;
    static long[] classTokens;
    static String memoryUri;
    /**
     * Steps compared against the single process. Beyond the first steps the comparison stops being exact
     * by nature: the two runs add the same gradients in different orders, AdamW magnifies the last-bit
     * differences of near-zero gradients, and a router vote at a near-tie can flip (measured: after 4 steps
     * at lr 2e-3, 5 of 24 modules differed by at most 4 of 128 votes while every parameter stayed within 1e-5).
     */
    static final int STEPS = 2;
    /** Steps of the fault-injection runs, compared with an uninterrupted data-parallel run (bit for bit). */
    static final int LONG_STEPS = 4;
    static final int BATCH = 2;
    static final long SEED = 5;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.launch();
        bucket = "train-" + Long.toHexString(System.nanoTime());
        s3.createBucket(bucket);
        Map<String, String> conf = new HashMap<>(s3.sparkSettings());
        conf.put("spark.barrier.sync.timeout", "120s");
        conf.put("spark.stage.maxConsecutiveAttempts", "2");
        conf.put("spark.task.reaper.killTimeout", "10s"); // a hung rank's executor is ended soon after the kill
        spark = SparkSessions.localCluster(conf);

        checkpoint = TinyWorld.checkpoint(dir, 3);
        TinyWorld.task(dir.resolve("colors"), TinyWorld.Kind.COLORS, 6, 2, 21);
        PrepConfig prep = PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 2, resolution = 32, train-short-side = 40,
                  tasks = [ { name = colors, source { type = image-folder, root = "%s" }, templates = ["{}"], shots = 4 } ] }
                """.formatted(dir.resolve("prep").toUri(), dir.resolve("colors").toUri())), null);
        new PrepJob(spark, prep).run();
        JsonNode files = new ObjectMapper().readTree(dir.resolve("prep/colors/_task.json").toFile()).get("files");
        shardFiles = new ArrayList<>(List.of(new ArrayList<>(), new ArrayList<>()));
        files.fieldNames().forEachRemaining(f -> {
            if (f.startsWith("fewshot/shard=")) {
                shardFiles.get(Integer.parseInt(f.substring("fewshot/shard=".length(), f.indexOf('/', 8)))).add(
                        dir.resolve("prep/colors").resolve(f).toUri().toString());
            }
        });
        try (ClipTokenizer tok = ClipTokenizer.load(Golden.shared().resolve("clip/tokenizer.json"), 77)) {
            classTokens = tok.encodeBatch(List.of("a photo of red.", "a photo of green.", "a photo of blue."));
        }
        // an earlier task's kept B columns, so the AGO term acts (and must enter the gradient once)
        try (NDManager m = NDManager.newBaseManager()) {
            ExpertPools shapes = ExpertPools.attach(new ClipModel(TinyWorld.TINY), method());
            Map<String, SafeTensors.Tensor> mem = new LinkedHashMap<>();
            java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
            for (ExpertPool p : shapes.pools().values()) {
                long rows = p.loraB.shape().get(0);
                float[] v = new float[(int) rows * 4];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rng.nextGaussian() * 0.1f;
                }
                mem.put(p.name(), SafeTensors.Tensor.ofFloats(new long[] {rows, 4}, v));
            }
            SafeTensors.write(dir.resolve("memory.safetensors"), mem, Map.of());
            memoryUri = dir.resolve("memory.safetensors").toUri().toString();
        }
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

    static DacConfig method() {
        return DacConfig.defaults().withDropout(0); // dropout masks are per rank: equivalence holds without it
    }

    static TrainTaskSpec spec(String checkpointDir, int steps) {
        return spec(checkpointDir, steps, method(), 2e-3);
    }

    static TrainTaskSpec spec(String checkpointDir, int steps, DacConfig method, double lr) {
        return new TrainTaskSpec(new TrainTaskSpec.Task(0, "colors", SEED, classTokens, 77),
                new TrainTaskSpec.Start(checkpoint.toUri().toString(), Precision.FP32, memoryUri),
                new TrainTaskSpec.Training(method, AdamW.Settings.defaults(), new CosineSchedule(lr, 1e-6, steps), BATCH, true),
                new TrainTaskSpec.Data(shardFiles, 2),
                new TrainTaskSpec.Checkpoints(checkpointDir, 2, 1, 5000), FaultInjector.NONE);
    }

    /** Rank 1 ends its executor JVM at a step of the stage's first attempt. */
    record KillRank1(int atStep) implements FaultInjector {
        @Override
        public void beforeStep(int rank, int attempt, int step) {
            if (rank == 1 && attempt == 0 && step == atStep) {
                Runtime.getRuntime().halt(17);
            }
        }
    }

    /** Rank 1 stops answering at a step, on every attempt. */
    record HangRank1(int atStep) implements FaultInjector {
        @Override
        public void beforeStep(int rank, int attempt, int step) throws InterruptedException {
            if (rank == 1 && step == atStep) {
                Thread.sleep(Long.MAX_VALUE);
            }
        }
    }

    /** Leaves a file per (attempt, rank, step) in a folder: which ranks trained in which attempts. */
    record Trace(String folder) implements FaultInjector {
        @Override
        public void beforeStep(int rank, int attempt, int step) throws java.io.IOException {
            Files.createDirectories(Path.of(folder));
            Files.writeString(Path.of(folder, attempt + "-" + rank + "-" + step), "");
        }
    }

    /** {@link Trace}, then a pause before each step, so that a test can act while a stage trains. */
    record SlowTrace(String folder, long millis) implements FaultInjector {
        @Override
        public void beforeStep(int rank, int attempt, int step) throws Exception {
            new Trace(folder).beforeStep(rank, attempt, step);
            Thread.sleep(millis);
        }
    }

    /**
     * The single-process loop on the same two shards, batch 2b: parameters, counts and last losses.
     * With {@code maskGroups} = 2 each half batch takes its mask from its own votes (what the ranks do
     * with vote-scope local).
     */
    static Map<String, float[]> singleProcess(float[] lastLosses, int maskGroups) {
        try (NDManager m = NDManager.newBaseManager(); TaskMemory memory = new TaskMemory(m)) {
            ClipModel model = ClipCheckpoint.load(checkpoint, m);
            SafeTensors.readAll(dir.resolve("memory.safetensors")).forEach((k, v) -> memory.put(k, TensorArrays.toNDArray(v, m)));
            ExpertPools pools = ExpertPools.attach(model, method());
            pools.initialize(m, SEED);
            pools.setTraining(true);
            if (maskGroups > 1) {
                maskPerGroup(model, pools, maskGroups);
            }
            org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
            List<List<Sample>> shards = List.of(ShardReader.read(shardFiles.get(0), hadoop), ShardReader.read(shardFiles.get(1), hadoop));
            TaskTrainer trainer = new TaskTrainer(model, pools, memory, new AdamW(AdamW.Settings.defaults(), m), new TaskTrainer.Setup(
                    new ClipImageProcessor(ClipImageProcessor.Config.clip(32)), classTokens, 77, new CosineSchedule(2e-3, 1e-6, STEPS),
                    new BatchPlan(new int[] {shards.get(0).size(), shards.get(1).size()}, BATCH, SEED), shards, new int[] {0, 1},
                    SEED, true), Collective.SINGLE, m);
            DacStep.Losses last = null;
            for (int t = 0; t < STEPS; t++) {
                last = trainer.step(t);
            }
            lastLosses[0] = last.loss();
            lastLosses[1] = last.clip();
            lastLosses[2] = last.ago();
            Map<String, float[]> out = new LinkedHashMap<>();
            pools.parameters().forEach((k, p) -> out.put(k, p.array().toFloatArray()));
            pools.pools().values().forEach(p -> out.put(p.name() + ".counts", p.counts()));
            return out;
        }
    }

    /**
     * Replaces each pool's place in its layer by an adapter that splits the batch into {@code groups} equal
     * parts and takes each part's update, with its own mask and votes, from the pool.
     */
    static void maskPerGroup(ClipModel model, ExpertPools pools, int groups) {
        Map<String, Module> modules = model.namedModules();
        for (ExpertPool pool : pools.pools().values()) {
            Linear linear = (Linear) modules.get(pool.name());
            linear.detach();
            linear.attach(x -> {
                NDList parts = x.split(groups, 0);
                NDList updates = new NDList();
                parts.forEach(part -> updates.add(pool.delta(part)));
                return NDArrays.concat(updates, 0);
            });
        }
    }

    static void assertMatchesSingleProcess(StepCheckpoint.State state, RankTask.Report report, int maskGroups) {
        float[] losses = new float[3];
        Map<String, float[]> single = singleProcess(losses, maskGroups);
        assertEquals(STEPS, state.step());
        StringBuilder diffs = new StringBuilder();
        single.forEach((k, v) -> {
            float[] d = state.tensors().get(k).toFloats();
            double max = 0;
            int bad = 0;
            for (int i = 0; i < v.length; i++) {
                max = Math.max(max, Math.abs(v[i] - d[i]));
                bad += Math.abs(v[i] - d[i]) > 1e-5 ? 1 : 0;
            }
            if (bad > 0 || k.endsWith("counts") && max > 0) {
                diffs.append(String.format("%n  %s: %d of %d entries differ, max %.3g", k, bad, v.length, max));
            }
        });
        assertEquals("", diffs.toString(), "distributed vs single process");
        assertTrue(losses[2] > 0, "the AGO term must act in this check");
        if (report != null) {
            assertEquals(losses[0], report.losses().loss(), 1e-5, "loss");
            assertEquals(losses[1], report.losses().clip(), 1e-5, "clip");
            assertEquals(losses[2], report.losses().ago(), 1e-5, "ago");
        }
    }

    @Test
    void twoRanksOfBatchBEqualOneProcessOfBatch2BWithCheckpointsOnS3() {
        String ckpt = "s3a://" + bucket + "/ckpt/equivalence";
        RankTask.Report report = new DistributedTrainer(spark, 1).train(spec(ckpt, STEPS));
        assertEquals(0, report.startStep());
        assertMatchesSingleProcess(StepCheckpoint.latest(ckpt, spark.sparkContext().hadoopConfiguration()), report, 1);
        assertEquals(1, report.intraOpThreads(), "the rank's libtorch intra-op threads = spark.task.cpus (1 in this cluster)");
        // the transfer budget at W = 2: 12, plus the global scope's vote exchange (one read, one upload) per module
        int modules = ExpertPools.targetModules(TinyWorld.TINY, method()).size();
        assertTransfersWithin(report, TRANSFER_BUDGET + 2 * modules);
    }

    /** Transfers per step at W = 1 and, without the global vote exchange, at any W (clip.HostTransfers). */
    static final int TRANSFER_BUDGET = 12;

    static void assertTransfersWithin(RankTask.Report report, int budget) {
        TaskTrainer.Timings t = report.timings();
        assertTrue(t.transfersPerStep() <= budget, "rank 0: " + t.transfersPerStep() + " transfers per step (" + t.transfers()
                + " in " + t.steps() + " steps), budget " + budget);
    }

    @Test
    void localVoteScopeEqualsOneProcessWithAMaskPerHalfBatch() {
        String ckpt = dir.resolve("ckpt-local").toUri().toString();
        RankTask.Report report = new DistributedTrainer(spark, 1).train(spec(ckpt, STEPS,
                method().withVoteScope(VoteScope.LOCAL), 2e-3));
        assertMatchesSingleProcess(StepCheckpoint.latest(ckpt, spark.sparkContext().hadoopConfiguration()), report, 2);
        assertTransfersWithin(report, TRANSFER_BUDGET); // the local scope counts every module's votes in one exchange
        // and the check means something: per-half masks train other experts than the global mask
        Map<String, float[]> global = singleProcess(new float[3], 1);
        Map<String, float[]> local = singleProcess(new float[3], 2);
        assertTrue(global.keySet().stream().anyMatch(k -> !java.util.Arrays.equals(global.get(k), local.get(k))),
                "per-half masks must differ from the global mask somewhere");
    }

    @Test
    void aKilledRankIsRetriedFromTheLastStepCheckpoint() {
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String plain = dir.resolve("ckpt-plain").toUri().toString();
        new DistributedTrainer(spark, 1).train(spec(plain, LONG_STEPS));
        String killed = dir.resolve("ckpt-kill").toUri().toString();
        RankTask.Report report = new DistributedTrainer(spark, 2).train(spec(killed, LONG_STEPS).withFaults(new KillRank1(3)));
        assertEquals(2, report.startStep(), "the retried stage resumes from the checkpoint after step 2");
        StepCheckpoint.State a = StepCheckpoint.latest(plain, hadoop);
        StepCheckpoint.State b = StepCheckpoint.latest(killed, hadoop);
        assertEquals(LONG_STEPS, b.step());
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        a.tensors().forEach((k, t) -> assertArrayEquals(t.toFloats(), b.tensors().get(k).toFloats(), k + ": resumed == uninterrupted"));
        dev.dacspark.spark.cli.LocalSpark.awaitExecutors(spark, 2, 120); // the lost executor is replaced for the next test
    }

    @Test
    void aHungRankFailsTheStageNamingIt() {
        String ckpt = dir.resolve("ckpt-hang").toUri().toString();
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DistributedTrainer(spark, 1).train(spec(ckpt, LONG_STEPS).withFaults(new HangRank1(1))));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("dead or hung"), e.getMessage());
        assertTrue(seconds < 120, "failed after " + seconds + " s");
    }

    @Test
    void theProgressAfterAResumeCountsTheStepsLeft() {
        // resumed after step 160 of 200, 20 steps done in 10 s: 20 left at 2 it/s
        assertEquals("task 'pets': step ~180 of 200 (20 this attempt, resumed after step 160; 2.00 it/s, ETA 10 s)",
                DistributedTrainer.progressLine("pets", 160, 20, 200, 10.0));
        assertEquals("task 'pets': step ~0 of 200 (0 this attempt; 0.00 it/s)", DistributedTrainer.progressLine("pets", 0, 0, 200, 15.0));
    }

    @Test
    void aStageCancelledFromOutsideStopsAtItsNextStepAndItsGuardEndsTheTraining() throws Exception {
        String ckpt = dir.resolve("ckpt-cancel").toUri().toString();
        Path trace = dir.resolve("trace-cancel");
        int steps = 40;
        java.util.concurrent.atomic.AtomicBoolean lost = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ExecutorService driver = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            // what the job does: its Spark jobs carry a tag, and the guard fails once the run's lease is lost
            java.util.concurrent.Future<RankTask.Report> training = driver.submit(() -> {
                spark.sparkContext().addJobTag("cancel-test");
                try {
                    return new DistributedTrainer(spark, 3).train(spec(ckpt, steps).withFaults(new SlowTrace(trace.toString(), 250)),
                            () -> {
                                if (lost.get()) {
                                    throw new IllegalStateException("the run was taken over");
                                }
                            });
                } finally {
                    spark.sparkContext().removeJobTag("cancel-test");
                }
            });
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (!Files.exists(trace.resolve("0-1-2")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            int seen = lastTracedStep(trace);
            lost.set(true);
            spark.sparkContext().cancelJobsWithTag("cancel-test");
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> training.get(120, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("the run was taken over", e.getCause().getMessage(), "the guard ended the training, without a retry");
            Thread.sleep(3000); // twelve steps' time: ranks that kept training would be seen
            assertTrue(lastTracedStep(trace) <= seen + 2, "the ranks trained on after the cancel: steps " + seen + " -> "
                    + lastTracedStep(trace));
        } finally {
            driver.shutdownNow();
        }
    }

    private static int lastTracedStep(Path trace) throws java.io.IOException {
        try (Stream<Path> files = Files.list(trace)) {
            return files.mapToInt(f -> Integer.parseInt(f.getFileName().toString().split("-")[2])).max().orElse(-1);
        }
    }

    @Test
    void moreRanksThanExecutorJvmsAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DistributedTrainer.checkCluster(spark, 3));
        assertTrue(e.getMessage().contains("3 training ranks need 3 executor JVMs") && e.getMessage().contains("has 2"), e.getMessage());
        // on the default local master (one JVM, no task reaper set) the message says what is wrong and what to run instead
        IllegalStateException local = assertThrows(IllegalStateException.class,
                () -> DistributedTrainer.checkCluster(new org.apache.spark.SparkConf().set("spark.barrier.sync.timeout", "60s"), "local[*]", 1, 2));
        assertTrue(local.getMessage().contains("2 training ranks need 2 executor JVMs") && local.getMessage().contains("local-cluster[2,1,2048]")
                && !local.getMessage().contains("reaper"), local.getMessage());
    }

    @Test
    void aNonFiniteLossFailsTheTaskAtOnceWithoutRetries() throws java.io.IOException {
        String ckpt = dir.resolve("ckpt-diverge").toUri().toString();
        Path trace = dir.resolve("trace-diverge");
        DeterministicFailure e = assertThrows(DeterministicFailure.class, () -> new DistributedTrainer(spark, 3)
                .train(spec(ckpt, LONG_STEPS, method(), 1e30).withFaults(new Trace(trace.toString()))));
        assertTrue(e.getMessage().contains("non-finite loss at step") && e.getMessage().contains("a retry would fail the same way")
                && e.getMessage().contains("lower the learning rate"), e.getMessage());
        // only the first stage attempt of the first driver attempt trained: Spark's own retries stopped at the verdict
        try (Stream<Path> files = Files.list(trace)) {
            assertEquals(java.util.Set.of("0"), files.map(f -> f.getFileName().toString().split("-")[0]).collect(java.util.stream.Collectors.toSet()));
        }
        assertTrue(StepCheckpoint.latest(ckpt, spark.sparkContext().hadoopConfiguration()) == null
                || Float.isFinite(StepCheckpoint.latest(ckpt, spark.sparkContext().hadoopConfiguration()).losses().loss()),
                "no checkpoint of a non-finite step");
    }
}
