package dev.dacspark.spark.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Precision;
import dev.dacspark.data.Sample;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.eval.UnionLabelSpace;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.spark.continual.PreparedStream;
import dev.dacspark.spark.train.ExecutorModels;
import dev.dacspark.spark.train.ShardReader;
import dev.dacspark.spark.train.TaskEngine;
import dev.dacspark.train.RunConfig;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Zero-shot accuracy of a checkpoint on every task's test split, in every setting of {@code dac.eval.settings}, on
 * the executors: one Spark task per test shard file, the model taken from the executor's cache (loaded once per JVM
 * and checkpoint), each batch of images encoded once and scored against the class embeddings of every setting,
 * which the driver computed once and ships with the stage (executors need no tokenizer and no text tower pass).
 * MTIL scores a task's images over its own class names and templates; X-TAIL over the stream's
 * {@link UnionLabelSpace} with the X-TAIL templates.
 */
public final class StreamEvaluator {
    /** (classes x embed) unit-norm class embeddings, row-major. */
    private record Matrix(int classes, int dim, float[] values) implements Serializable {
        static Matrix of(NDArray e) {
            long[] shape = e.getShape().getShape();
            return new Matrix((int) shape[0], (int) shape[1], HostTransfers.floats(e));
        }
    }

    /** One setting's classifier of one task: a shipped matrix, and the class each of the task's labels is right at. */
    private record Head(int matrix, int[] columns) implements Serializable {}

    private record Work(int task, String file) implements Serializable {}

    private record Score(int task, long[] correct, long total) implements Serializable {}

    private final SparkSession spark;
    private final RunConfig.Eval eval;

    public StreamEvaluator(SparkSession spark, RunConfig.Eval eval) {
        this.spark = spark;
        this.eval = eval;
    }

    /**
     * One accuracy-matrix row per setting of the checkpoint at {@code modelUri}, in {@code dac.eval.settings}' order:
     * class embeddings from {@code model} (the same weights, on the driver), images scored on the executors.
     */
    public Map<EvalSetting, double[]> accuracy(ClipModel model, ClipTokenizer tokenizer, String modelUri, PreparedStream stream,
            String description) {
        List<Matrix> matrices = new ArrayList<>();
        List<List<Head>> heads = new ArrayList<>(); // [task][setting]
        stream.tasks().forEach(t -> heads.add(new ArrayList<>()));
        try (NDManager m = NDManager.newBaseManager();
                ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, eval.batchSize())) {
            for (EvalSetting setting : eval.settings()) {
                switch (setting) {
                    case MTIL -> stream.tasks().forEach(task -> {
                        matrices.add(Matrix.of(classifier.classEmbeddings(task.classNames(), task.templates())));
                        int[] own = java.util.stream.IntStream.range(0, task.classNames().size()).toArray();
                        heads.get(task.index()).add(new Head(matrices.size() - 1, own));
                    });
                    case X_TAIL -> {
                        UnionLabelSpace union = UnionLabelSpace.of(stream.tasks().stream().map(PreparedStream.Task::classNames).toList());
                        matrices.add(Matrix.of(classifier.classEmbeddings(union.classNames(), eval.xTailTemplates())));
                        stream.tasks().forEach(task -> heads.get(task.index()).add(new Head(matrices.size() - 1, union.columns(task.index()))));
                    }
                }
            }
        }
        double[][] rows = accuracy(modelUri, stream, matrices, heads, description);
        Map<EvalSetting, double[]> out = new LinkedHashMap<>();
        for (int s = 0; s < rows.length; s++) {
            out.put(eval.settings().get(s), rows[s]);
        }
        return out;
    }

    /** Accuracy in percent per setting and task of the checkpoint at {@code modelUri} (one accuracy-matrix row per setting). */
    private double[][] accuracy(String modelUri, PreparedStream stream, List<Matrix> matrices, List<List<Head>> heads,
            String description) {
        List<Work> work = new ArrayList<>();
        for (PreparedStream.Task task : stream.tasks()) {
            task.files("test").forEach(f -> work.add(new Work(task.index(), f)));
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        sc.setJobDescription(description);
        SerializableConfiguration hadoop = new SerializableConfiguration(sc.hadoopConfiguration());
        int batch = eval.batchSize();
        List<Score> scores = sc.parallelize(work, work.size())
                .mapPartitions((Iterator<Work> it) -> score(it, modelUri, matrices, heads, batch, hadoop))
                .collect();
        int settings = eval.settings().size();
        long[][] correct = new long[settings][stream.tasks().size()];
        long[] total = new long[stream.tasks().size()];
        for (Score s : scores) {
            for (int k = 0; k < settings; k++) {
                correct[k][s.task()] += s.correct()[k];
            }
            total[s.task()] += s.total();
        }
        double[][] rows = new double[settings][total.length];
        for (int j = 0; j < total.length; j++) {
            if (total[j] == 0) {
                throw new IllegalStateException("task '" + stream.tasks().get(j).name() + "': its test split holds no image");
            }
            for (int k = 0; k < settings; k++) {
                rows[k][j] = 100.0 * correct[k][j] / total[j];
            }
        }
        return rows;
    }

    private static Iterator<Score> score(Iterator<Work> it, String modelUri, List<Matrix> matrices, List<List<Head>> heads, int batch,
            SerializableConfiguration hadoop) throws Exception {
        List<Score> out = new ArrayList<>();
        TaskContext ctx = TaskContext.get();
        try (ExecutorModels.Lease lease = ExecutorModels.acquire(modelUri, Precision.FP32, TaskEngine.start(ctx), hadoop.value(), 3_600_000);
                NDManager m = lease.manager().newSubManager()) {
            ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(lease.model().config()));
            while (it.hasNext()) {
                Work w = it.next();
                List<Sample> samples = ShardReader.read(List.of(w.file()), hadoop.value());
                List<ZeroShotClassifier.Head> taskHeads = new ArrayList<>();
                for (Head h : heads.get(w.task())) {
                    Matrix c = matrices.get(h.matrix());
                    taskHeads.add(new ZeroShotClassifier.Head(HostTransfers.float32(m, c.values(), new Shape(c.classes(), c.dim())), h.columns()));
                }
                long[] correct = ZeroShotClassifier.correct(lease.model(), processor, samples, taskHeads, batch, m);
                out.add(new Score(w.task(), correct, samples.size()));
            }
        }
        return out.iterator();
    }
}
