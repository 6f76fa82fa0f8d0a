package dev.dacspark.spark.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.data.Sample;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.spark.continual.PreparedStream;
import dev.dacspark.spark.train.ExecutorModels;
import dev.dacspark.spark.train.ShardReader;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Zero-shot accuracy of a checkpoint on every task's test split, on the executors: one Spark task
 * per test shard file, the model taken from the executor's cache (loaded once per JVM and
 * checkpoint), images scored in batches against class embeddings that the driver computed once
 * per task and ships with the stage (executors need no tokenizer and no text tower pass).
 */
public final class StreamEvaluator {
    /** (classes x embed) unit-norm class embeddings of one task, row-major. */
    private record ClassEmbeddings(int classes, int dim, float[] values) implements Serializable {}

    private record Work(int task, String file) implements Serializable {}

    private record Score(int task, long correct, long total) implements Serializable {}

    private final SparkSession spark;
    private final int batchSize;

    public StreamEvaluator(SparkSession spark, int batchSize) {
        this.spark = spark;
        this.batchSize = batchSize;
    }

    /**
     * One accuracy-matrix row of the checkpoint at {@code modelUri}: class embeddings from
     * {@code model} (the same weights, on the driver) for every task's names and templates, images
     * scored on the executors.
     */
    public double[] accuracy(ClipModel model, ClipTokenizer tokenizer, String modelUri, PreparedStream stream, String description) {
        List<ClassEmbeddings> classes = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager();
                ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, batchSize)) {
            for (PreparedStream.Task task : stream.tasks()) {
                NDArray e = classifier.classEmbeddings(task.classNames(), task.templates());
                long[] shape = e.getShape().getShape();
                classes.add(new ClassEmbeddings((int) shape[0], (int) shape[1], HostTransfers.floats(e)));
            }
        }
        return accuracy(modelUri, stream, classes, description);
    }

    /** Accuracy in percent per task of the checkpoint at {@code modelUri} (one accuracy-matrix row). */
    private double[] accuracy(String modelUri, PreparedStream stream, List<ClassEmbeddings> classes, String description) {
        List<Work> work = new ArrayList<>();
        for (PreparedStream.Task task : stream.tasks()) {
            task.files("test").forEach(f -> work.add(new Work(task.index(), f)));
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        sc.setJobDescription(description);
        SerializableConfiguration hadoop = new SerializableConfiguration(sc.hadoopConfiguration());
        int batch = batchSize;
        List<Score> scores = sc.parallelize(work, work.size())
                .mapPartitions((Iterator<Work> it) -> score(it, modelUri, classes, batch, hadoop))
                .collect();
        long[] correct = new long[stream.tasks().size()];
        long[] total = new long[correct.length];
        for (Score s : scores) {
            correct[s.task()] += s.correct();
            total[s.task()] += s.total();
        }
        double[] row = new double[correct.length];
        for (int j = 0; j < row.length; j++) {
            if (total[j] == 0) {
                throw new IllegalStateException("task '" + stream.tasks().get(j).name() + "': its test split holds no image");
            }
            row[j] = 100.0 * correct[j] / total[j];
        }
        return row;
    }

    private static Iterator<Score> score(Iterator<Work> it, String modelUri, List<ClassEmbeddings> classes, int batch,
            SerializableConfiguration hadoop) throws Exception {
        List<Score> out = new ArrayList<>();
        TaskContext ctx = TaskContext.get();
        try (ExecutorModels.Lease lease = ExecutorModels.acquire(modelUri, ExecutorModels.device(ctx), hadoop.value(), 3_600_000);
                NDManager m = lease.manager().newSubManager()) {
            ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(lease.model().config()));
            while (it.hasNext()) {
                Work w = it.next();
                List<Sample> samples = ShardReader.read(List.of(w.file()), hadoop.value());
                ClassEmbeddings c = classes.get(w.task());
                NDArray embeddings = HostTransfers.float32(m, c.values(), new Shape(c.classes(), c.dim()));
                long correct = ZeroShotClassifier.correct(lease.model(), processor, samples, embeddings, batch, m);
                out.add(new Score(w.task(), correct, samples.size()));
            }
        }
        return out.iterator();
    }
}
