package dev.dacspark.spark.continual;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.HuggingFaceDirectory;
import dev.dacspark.checkpoint.LoraState;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.data.Seeds;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import dev.dacspark.spark.eval.StreamEvaluator;
import dev.dacspark.spark.export.TaskExports;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.train.DistributedTrainer;
import dev.dacspark.spark.train.FaultInjector;
import dev.dacspark.spark.train.RankTask;
import dev.dacspark.spark.train.StepCheckpoint;
import dev.dacspark.spark.train.TaskBackend;
import dev.dacspark.spark.train.TrainTaskSpec;
import dev.dacspark.train.CosineSchedule;
import dev.dacspark.train.Progress;
import dev.dacspark.train.RunConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The continual-learning job, driver side. For each method, over the prepared task stream in order:
 * train the task on the backend (a data-parallel barrier stage, or this JVM as the one rank), fold the experts chosen by the global vote counts
 * into the driver's CLIP, keep the AGO memory, write the task's files under unique names, score every
 * task's test split on the executors, and commit by writing the run's manifest last. Starting the same
 * run again resumes after the last commit (and inside a task from its last step checkpoint); one start at
 * a time holds the run ({@link RunLease}), and a start that loses the lease stops writing.
 */
public final class ContinualJob {
    private static final Logger LOG = LoggerFactory.getLogger(ContinualJob.class);

    private final SparkSession spark;
    private final JobConfig config;
    private final Configuration hadoop;
    private final RunStore store;
    private final TaskBackend backend;
    private final JobEvents events;

    /** The job with its tasks trained in barrier stages of the cluster. */
    public ContinualJob(SparkSession spark, JobConfig config) {
        this(spark, config, new DistributedTrainer(spark, config.attempts()), JobEvents.NONE);
    }

    public ContinualJob(SparkSession spark, JobConfig config, TaskBackend backend, JobEvents events) {
        this.spark = spark;
        this.config = config;
        this.backend = backend;
        this.events = events;
        config.applyTo(spark.sparkContext().hadoopConfiguration());
        this.hadoop = spark.sparkContext().hadoopConfiguration();
        this.store = new RunStore(config.runDir(), hadoop);
    }

    /**
     * Runs (or resumes) every method under the run's lease (refused while another start holds it); returns
     * the metrics per evaluation setting and method.
     */
    public Map<EvalSetting, Map<String, ContinualMetrics>> run() {
        PreparedStream stream = PreparedStream.read(config.data(), hadoop);
        config.checkTaskNames(stream.names(), stream.uri());
        backend.check(config.workers());
        int perRank = perRankBatch();
        String split = trainSplit(stream); // checks every task's shards against W
        // this start's Spark jobs carry a tag, so that losing the lease cancels them (a running training stage too)
        String tag = Storage.uniqueName("dac-run-" + config.runId(), "");
        try (RunLease lease = RunLease.acquire(config.runDir(), hadoop, config.leaseTtl(), config.leaseRenew(),
                () -> spark.sparkContext().cancelJobsWithTag(tag))) {
            spark.sparkContext().addJobTag(tag);
            try {
                return run(stream, perRank, split, lease);
            } catch (RuntimeException e) {
                throw lease.explain(e);
            } finally {
                spark.sparkContext().removeJobTag(tag);
            }
        }
    }

    private Map<EvalSetting, Map<String, ContinualMetrics>> run(PreparedStream stream, int perRank, String split, RunLease lease) {
        RunManifest manifest = store.open(config, stream, lease);
        RunConfig run = config.run();
        int total = stream.tasks().size() * (int) run.methods().stream().filter(m -> m != RunConfig.Method.ZERO_SHOT).count();
        int done = (int) manifest.methods.values().stream().filter(s -> s.zeroShot(run.eval().settings()) != null).mapToLong(s -> s.tasks.size()).sum();
        long started = System.nanoTime();
        int trainedNow = 0;
        LOG.info("run '{}': {} task(s) x methods {} on W={} (batch {} per rank), data {}, output {}", config.runId(),
                stream.tasks().size(), run.methods().stream().map(RunConfig.Method::id).toList(), config.workers(), perRank,
                config.data(), config.runDir());

        java.nio.file.Path tokenizerFile = Storage.localCopy(config.tokenizer(), hadoop);
        Map<String, SafeTensors.DType> saveTypes = run.saveDtype() == ClipCheckpoint.SaveDtype.CHECKPOINT // dac.model.save-dtype
                ? ClipCheckpoint.halfTypes(Storage.localCopy(config.checkpoint(), hadoop)) : Map.of();
        try (NDManager manager = NDManager.newBaseManager()) {
            // libtorch's grad mode is per thread, and DJL turns it off only on the thread that started the engine: the
            // driver's model work (load, merge, evaluation) needs no autograd on whatever thread runs it (a sweep's)
            JniUtils.setGradMode(false);
            StreamEvaluator evaluator = null;
            for (RunConfig.Method method : run.methods()) {
                RunManifest.MethodState state = manifest.methods.computeIfAbsent(method.id(), k -> new RunManifest.MethodState());
                if (state.complete) {
                    LOG.info("{}: complete in an earlier start of this run", method.id());
                    continue;
                }
                String modelUri = state.tasks.isEmpty() ? config.checkpoint() : store.uri(state.last().merged());
                try (NDManager methodManager = manager.newSubManager(); TaskMemory memory = new TaskMemory(methodManager)) {
                    ClipModel model = ClipCheckpoint.load(Storage.localCopy(modelUri, hadoop), methodManager);
                    ClipTokenizer tokenizer = ClipTokenizer.forModel(tokenizerFile, config.tokenizer(), model.config(), modelUri);
                    if (state.last() != null && state.last().memory() != null) {
                        Storage.readSafeTensors(store.uri(state.last().memory()), hadoop)
                                .forEach((k, v) -> memory.put(k, TensorArrays.toNDArray(v, methodManager)));
                    }
                    if (evaluator == null) {
                        evaluator = new StreamEvaluator(spark, run.eval());
                    }
                    List<EvalSetting> settings = run.eval().settings();
                    if (state.zeroShot(settings) == null) { // evaluated once per run: every method starts from the same base
                        Map<EvalSetting, List<Double>> zeroShot = findZeroShot(manifest, settings);
                        if (zeroShot == null) {
                            zeroShot = boxed(evaluator.accuracy(model, tokenizer, config.checkpoint(), stream, "evaluate zero-shot"));
                            LOG.info("zero-shot accuracy: {}", format(zeroShot));
                        }
                        state.zeroShot(zeroShot);
                    }
                    for (int t = state.tasks.size(); t < stream.tasks().size(); t++) {
                        PreparedStream.Task task = stream.tasks().get(t);
                        RunManifest.TaskEntry entry = method == RunConfig.Method.ZERO_SHOT
                                ? new RunManifest.TaskEntry(t + 1, task.name(), null, null, null, null, state.zeroShot,
                                        state.xTailZeroShot, 0, 0, 0,
                                        config.workers(), perRank, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN)
                                : learn(method, task, split, perRank, model, memory, modelUri, state, tokenizer, stream, evaluator,
                                        saveTypes, methodManager);
                        state.tasks.add(entry);
                        state.complete = state.tasks.size() == stream.tasks().size();
                        store.commit(spark, manifest);
                        if (entry.merged() != null) {
                            modelUri = store.uri(entry.merged());
                            trainedNow++;
                            double perTask = (System.nanoTime() - started) / 1e9 / trainedNow;
                            LOG.info("{}: committed task {}/{} '{}': accuracy {} | {} of {} task trainings left, ETA {}", method.id(),
                                    t + 1, stream.tasks().size(), task.name(), format(rows(entry, settings)), total - done - trainedNow,
                                    total, Progress.duration(Math.round(perTask * (total - done - trainedNow))));
                            events.afterCommit(method.id(), t + 1);
                        }
                    }
                    tokenizer.close();
                }
            }
        }
        manifest.complete = true;
        store.commit(spark, manifest);
        LOG.info("run '{}' complete: results in {}", config.runId(), store.uri(manifest.results));
        return manifest.metrics(run.eval().settings());
    }

    /** One task of one method: train on the cluster, merge on the driver, write its files, evaluate. */
    private RunManifest.TaskEntry learn(RunConfig.Method method, PreparedStream.Task task, String split, int perRank,
            ClipModel model, TaskMemory memory, String modelUri, RunManifest.MethodState state, ClipTokenizer tokenizer,
            PreparedStream stream, StreamEvaluator evaluator, Map<String, SafeTensors.DType> saveTypes, NDManager m) {
        DacConfig adapter = method.adapter(config.run().method());
        int t = task.index();
        String dir = store.taskDir(method.id(), t, task.name());
        SplittableRandom rng = new SplittableRandom(Seeds.mix(config.run().seed(), t));
        long seed = rng.nextLong();
        String template = task.templates().get(rng.nextInt(task.templates().size()));
        long[] classTokens = tokenizer.encodeBatch(task.classNames().stream().map(c -> ZeroShotClassifier.prompt(template, c)).toList());
        RunConfig.Train train = config.run().train();
        String memoryUri = state.last() == null || state.last().memory() == null ? null : store.uri(state.last().memory());
        TrainTaskSpec.Data data = task.trainingData(split, config.workers());
        TrainTaskSpec spec = new TrainTaskSpec(new TrainTaskSpec.Task(t, task.name(), seed, classTokens, tokenizer.contextLength()),
                new TrainTaskSpec.Start(modelUri, config.run().precision(), memoryUri),
                new TrainTaskSpec.Training(adapter, train.adamw(), new CosineSchedule(config.lr(task.name()), train.lrMin(),
                        train.iterations()), train.batchSize() / data.shards().size(), split.equals("fewshot")),
                data,
                new TrainTaskSpec.Checkpoints(store.uri(dir + "/steps"), config.checkpointEvery(), config.checksumEvery(),
                        (int) config.ringTimeout().toMillis()), FaultInjector.NONE);
        LOG.info("{}: task {} '{}': {} classes, template '{}', {} iterations, lr {}", method.id(), t + 1, task.name(),
                task.classNames().size(), template, train.iterations(), config.lr(task.name()));

        long t0 = System.nanoTime();
        RankTask.Report report = backend.train(spec, store::checkLease);
        double trainSeconds = (System.nanoTime() - t0) / 1e9;

        // the driver's merge: the final step checkpoint's pools, folded by the task's global vote counts
        StepCheckpoint.State trained = StepCheckpoint.latest(spec.checkpoints().dir(), hadoop);
        if (trained == null || trained.step() != spec.iterations()) {
            throw new IllegalStateException("task '" + task.name() + "': training ended without its final step checkpoint in "
                    + spec.checkpoints().dir());
        }
        long trainable;
        Map<String, SafeTensors.Tensor> lora;
        String experts = store.newFile(dir, "experts", ".parquet");
        try (NDManager poolManager = m.newSubManager()) { // the pools' arrays end with the merge; the merged weights are the model's
            ExpertPools pools = ExpertPools.attach(model, adapter);
            pools.initialize(poolManager, seed);
            StepCheckpoint.restorePools(trained, pools, poolManager);
            trainable = pools.trainableParameterCount();
            lora = LoraState.tensors(pools);
            ResultsWriter.writeExperts(spark, store.uri(experts), config.runId(), method.id(), t + 1, task.name(), pools);
            pools.mergeAndDetach(adapter.agoWeight() > 0 ? memory : null);
        }

        // sorted: the files' headers are the same bytes in every JVM (Map.of's order changes from one JVM to the next)
        Map<String, String> meta = new TreeMap<>(Map.of("run_id", config.runId(), "method", method.id(), "task", task.name(),
                "task_index", Integer.toString(t + 1), "config_sha256", config.fingerprint()));
        String loraFile = store.newFile(dir, "lora", ".safetensors");
        Storage.writeSafeTensors(store.uri(loraFile), lora, meta, hadoop);
        String memoryFile = null;
        if (adapter.agoWeight() > 0) {
            memoryFile = store.newFile(dir, "memory", ".safetensors");
            Map<String, SafeTensors.Tensor> mem = new LinkedHashMap<>();
            memory.all().forEach((k, v) -> mem.put(k, TensorArrays.fromNDArray(v)));
            Storage.writeSafeTensors(store.uri(memoryFile), mem, meta, hadoop);
        }
        events.beforeMergedCheckpoint(method.id(), t + 1);
        String merged;
        String hfModel = null;
        if (config.run().saveFormat() == ClipCheckpoint.Format.HUGGINGFACE) { // a model directory, its one weights file the merged one
            hfModel = store.newFile(dir, "merged", "");
            merged = hfModel + "/" + HuggingFaceDirectory.WEIGHTS;
            TaskExports.modelDirectory(model, saveTypes, config.tokenizer(), store.uri(hfModel), Long.MAX_VALUE, meta, hadoop);
        } else {
            merged = store.newFile(dir, "merged", ".safetensors");
            Storage.writeSafeTensors(store.uri(merged), ClipCheckpoint.tensors(model, config.run().saveFormat(), saveTypes),
                    ClipCheckpoint.metadata(model, config.run().saveFormat(), meta), hadoop);
        }
        String adapterDir = store.newFile(dir, "adapter", "");
        String base = state.last() == null ? config.checkpoint()
                : store.uri(state.last().hfModel() != null ? state.last().hfModel() : state.last().merged());
        TaskExports.adapter(lora, adapter.scaling(), model.config(), base,
                new TaskExports.Task(config.runId(), method.id(), t + 1, task.name()), store.uri(adapterDir), hadoop);

        long e0 = System.nanoTime();
        Map<EvalSetting, List<Double>> rows = boxed(evaluator.accuracy(model, tokenizer, store.uri(merged), stream,
                "evaluate " + method.id() + " after task " + (t + 1) + " '" + task.name() + "'"));
        double evalSeconds = (System.nanoTime() - e0) / 1e9;
        StepCheckpoint.Losses l = report.losses();
        return new RunManifest.TaskEntry(t + 1, task.name(), merged, loraFile, memoryFile, experts, rows.get(EvalSetting.MTIL),
                rows.get(EvalSetting.X_TAIL), trainSeconds, evalSeconds, train.iterations(), config.workers(), perRank, trainable,
                report.peakRssMb(), l.loss(), l.clip(), l.ago(), hfModel, adapterDir);
    }

    /** The zero-shot rows of these settings that another method of this run evaluated already; null when none did. */
    private static Map<EvalSetting, List<Double>> findZeroShot(RunManifest manifest, List<EvalSetting> settings) {
        return manifest.methods.values().stream().map(s -> s.zeroShot(settings)).filter(z -> z != null).findFirst().orElse(null);
    }

    /** dac.train.batch-size is the global batch: W ranks take an equal part each. */
    private int perRankBatch() {
        int global = config.run().train().batchSize();
        if (global % config.workers() != 0) {
            throw new IllegalArgumentException("dac.train.batch-size (" + global + ", the global batch) must be a multiple of "
                    + "dac.job.workers (" + config.workers() + ")");
        }
        return global / config.workers();
    }

    /**
     * The split that trains, the same for every task; its shards must split over W, and the global
     * batch over its shards (each step takes the same number of samples of every shard).
     */
    private String trainSplit(PreparedStream stream) {
        String split = switch (config.trainSplit()) {
            case FEWSHOT -> "fewshot";
            case TRAIN -> "train";
            case AUTO -> stream.tasks().stream().allMatch(t -> t.has("fewshot")) ? "fewshot" : "train";
        };
        for (PreparedStream.Task task : stream.tasks()) {
            if (!task.has(split)) {
                throw new IllegalArgumentException("dac.job.train-split = " + split + ": task '" + task.name() + "' has no " + split
                        + " split in " + stream.uri());
            }
            int shards = task.trainingData(split, config.workers()).shards().size();
            int global = config.run().train().batchSize();
            if (global % shards != 0) {
                throw new IllegalArgumentException("dac.train.batch-size (" + global + ", the global batch) must be a multiple of the "
                        + shards + " shards of task '" + task.name() + "' (every step takes as many samples of each shard; prep "
                        + "made dac.prep.workers = " + shards + " shards)");
            }
        }
        return split;
    }

    /** Rows by setting for a log line: "mtil [92.3, 71.7] x-tail [90.1, 64.0]". */
    private static String format(Map<EvalSetting, List<Double>> rows) {
        StringBuilder sb = new StringBuilder();
        rows.forEach((setting, row) -> sb.append(sb.isEmpty() ? "" : " ").append(setting.id()).append(' ')
                .append(ContinualMetrics.formatRow(row.stream().mapToDouble(Double::doubleValue).toArray())));
        return sb.toString();
    }

    /** A task entry's rows of the run's settings. */
    private static Map<EvalSetting, List<Double>> rows(RunManifest.TaskEntry entry, List<EvalSetting> settings) {
        Map<EvalSetting, List<Double>> rows = new LinkedHashMap<>();
        settings.forEach(s -> rows.put(s, entry.accuracy(s)));
        return rows;
    }

    private static Map<EvalSetting, List<Double>> boxed(Map<EvalSetting, double[]> rows) {
        Map<EvalSetting, List<Double>> out = new LinkedHashMap<>();
        rows.forEach((setting, row) -> out.put(setting, Arrays.stream(row).boxed().toList()));
        return out;
    }

    static String now() {
        return Instant.now().toString();
    }
}
