package dev.dacspark.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.LoraState;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.data.FewShot;
import dev.dacspark.data.Sample;
import dev.dacspark.data.Seeds;
import dev.dacspark.data.Split;
import dev.dacspark.data.TaskData;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.ExpertPools;
import dev.dacspark.lora.TaskMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The single-process continual-learning loop: for each method, from the base CLIP, a zero-shot
 * evaluation row, then per task: few-shot sampling, one template, N iterations of the DAC step,
 * merge, save, and an evaluation row over every task. Deterministic for a seed on CPU.
 */
public final class ContinualLearner {
    private static final Logger LOG = LoggerFactory.getLogger(ContinualLearner.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final RunConfig config;
    private final NDManager manager;

    public ContinualLearner(RunConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    /** Runs every configured method over the tasks; returns the metrics per method id. */
    public Map<String, ContinualMetrics> run(List<TaskData> tasks) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("dac.tasks is empty: nothing to learn");
        }
        Map<String, ContinualMetrics> results = new LinkedHashMap<>();
        for (RunConfig.Method method : config.methods()) {
            try (NDManager methodManager = manager.newSubManager()) {
                ClipModel model = ClipCheckpoint.load(config.requireCheckpoint(), methodManager);
                results.put(method.id(), runMethod(method, model, tasks, methodManager));
            }
        }
        writeJson(config.output().resolve("summary.json"), summary(results));
        return results;
    }

    private ContinualMetrics runMethod(RunConfig.Method method, ClipModel model, List<TaskData> tasks, NDManager m) {
        Path dir = config.output().resolve(method.id());
        DacConfig adapter = method.adapter(config.method());
        ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config()));
        List<double[]> rows = new ArrayList<>();
        try (ClipTokenizer tokenizer = ClipTokenizer.load(config.requireTokenizer(), model.config().contextLength());
                TaskMemory memory = new TaskMemory(m)) {
            LOG.info("{}: zero-shot evaluation of {} tasks", method.id(), tasks.size());
            rows.add(evaluate(model, tokenizer, processor, tasks, m));
            for (int t = 0; t < tasks.size(); t++) {
                TaskData task = tasks.get(t);
                if (adapter != null) {
                    Path taskDir = dir.resolve(String.format(Locale.ROOT, "task-%02d-%s", t + 1, task.name()));
                    trainTask(method, t, task, model, adapter, memory, tokenizer, processor, taskDir, m);
                }
                rows.add(evaluate(model, tokenizer, processor, tasks, m));
                LOG.info("{}: after task {}/{} '{}': accuracy {}", method.id(), t + 1, tasks.size(), task.name(),
                        ContinualMetrics.formatRow(rows.get(rows.size() - 1)));
            }
        }
        ContinualMetrics metrics = ContinualMetrics.of(tasks.stream().map(TaskData::name).toList(), rows.toArray(double[][]::new), true);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("method", method.id());
        out.putAll(metrics.toMap());
        writeJson(dir.resolve("metrics.json"), out);
        return metrics;
    }

    private void trainTask(RunConfig.Method method, int t, TaskData task, ClipModel model, DacConfig adapter,
            TaskMemory memory, ClipTokenizer tokenizer, ClipImageProcessor processor, Path taskDir, NDManager m) {
        RunConfig.Train train = config.train();
        long taskSeed = Seeds.mix(config.seed(), t);
        SplittableRandom rng = new SplittableRandom(taskSeed);

        ExpertPools pools = ExpertPools.attach(model, adapter);
        pools.initialize(m, rng.nextLong());
        pools.setTraining(true);
        List<Sample> samples = FewShot.sample(task.samples(Split.TRAIN), train.shots(), rng.nextLong());
        if (samples.size() < train.batchSize()) {
            throw new IllegalArgumentException("task '" + task.name() + "': " + samples.size() + " training images, fewer than dac.train.batch-size "
                    + train.batchSize() + " (batches drop the last partial batch)");
        }
        String template = task.templates().get(rng.nextInt(task.templates().size()));
        List<String> prompts = task.classNames().stream().map(c -> ZeroShotClassifier.prompt(template, c)).toList();
        double lr = config.lr(task.name());
        TaskTrainer.Setup setup = new TaskTrainer.Setup(processor, tokenizer.encodeBatch(prompts), tokenizer.contextLength(),
                new CosineSchedule(lr, train.lrMin(), train.iterations()),
                new BatchPlan(new int[] {samples.size()}, train.batchSize(), rng.nextLong()), List.of(samples), new int[] {0},
                rng.nextLong(), train.shots() > 0);
        TaskTrainer trainer = new TaskTrainer(model, pools, memory, new AdamW(train.adamw(), m), setup, Collective.SINGLE, m);
        LOG.info("{}: task {} '{}': {} images, {} classes, template '{}', {} iterations at batch {}, lr {}",
                method.id(), t + 1, task.name(), samples.size(), task.classNames().size(), template, train.iterations(),
                train.batchSize(), lr);

        Progress progress = new Progress(train.iterations());
        for (int it = 0; it < train.iterations(); it++) {
            DacStep.Losses losses = trainer.step(it);
            if ((it + 1) % train.logEvery() == 0 || it + 1 == train.iterations()) {
                LOG.info("{}: task {} '{}' it {}/{} loss {} (clip {}, ago {}) lr {} | {}", method.id(), t + 1, task.name(),
                        it + 1, train.iterations(), f4(losses.loss()), f4(losses.clip()), f4(losses.ago()),
                        String.format(Locale.ROOT, "%.2e", setup.schedule().lr(it)), progress.at(it + 1));
            }
        }
        pools.setTraining(false);
        LoraState.save(pools, taskDir.resolve("lora.safetensors"), Map.of("method", method.id(), "task", task.name()));
        pools.mergeAndDetach(adapter.agoWeight() > 0 ? memory : null);
        ClipCheckpoint.save(model, taskDir.resolve("merged.safetensors"), config.saveFormat(),
                Map.of("method", method.id(), "task", task.name(), "task_index", Integer.toString(t + 1)));
    }

    /** Accuracy on every task's test split (one matrix row). */
    private double[] evaluate(ClipModel model, ClipTokenizer tokenizer, ClipImageProcessor processor, List<TaskData> tasks, NDManager m) {
        double[] row = new double[tasks.size()];
        try (ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, config.evalBatchSize())) {
            for (int j = 0; j < tasks.size(); j++) {
                TaskData task = tasks.get(j);
                row[j] = classifier.accuracy(task.samples(Split.TEST), task.classNames(), task.templates(), processor);
            }
        }
        return row;
    }

    private static Map<String, Object> summary(Map<String, ContinualMetrics> results) {
        Map<String, Object> s = new LinkedHashMap<>();
        results.forEach((method, metrics) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            if (metrics.tasks() >= 2) {
                m.put("transfer", metrics.transfer());
            }
            m.put("average", metrics.average());
            m.put("last", metrics.last());
            s.put(method, m);
        });
        return s;
    }

    static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), value);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String f4(float v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
