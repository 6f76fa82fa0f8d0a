package dev.dacspark.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.clip.HostTransfers;
import dev.dacspark.clip.Tensors;
import dev.dacspark.data.Sample;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIP zero-shot classification as in the CLIP paper and the MTIL benchmark: a class's embedding
 * is the mean over templates of the normalised text embeddings of "template with the class name",
 * normalised again; logits = 100 * cosine(image, class).
 *
 * <p>Class embeddings are computed batch-wise and cached per (class list, templates) for the
 * model this classifier is bound to. The model's weights change when a task is merged: call
 * {@link #clearCache()} then.
 */
public final class ZeroShotClassifier implements AutoCloseable {
    private final ClipModel model;
    private final ClipTokenizer tokenizer;
    private final NDManager manager;
    private final int batchSize;
    private final Map<List<List<String>>, NDArray> cache = new HashMap<>();

    public ZeroShotClassifier(ClipModel model, ClipTokenizer tokenizer, NDManager manager, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.batchSize = batchSize;
    }

    /** Fills a template's "{}" with a class name. */
    public static String prompt(String template, String className) {
        if (!template.contains("{}")) {
            throw new IllegalArgumentException("template '" + template + "' has no '{}' for the class name");
        }
        return template.replace("{}", className);
    }

    /** (classes, embed) unit-norm class embeddings, cached. */
    public NDArray classEmbeddings(List<String> classNames, List<String> templates) {
        if (classNames.isEmpty() || templates.isEmpty()) {
            throw new IllegalArgumentException("zero-shot classification needs at least one class and one template");
        }
        List<List<String>> key = List.of(List.copyOf(classNames), List.copyOf(templates));
        NDArray cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        List<String> prompts = new ArrayList<>(classNames.size() * templates.size());
        for (String c : classNames) {
            for (String t : templates) {
                prompts.add(prompt(t, c));
            }
        }
        NDArray embeddings;
        try (NDScope scope = new NDScope()) {
            NDList chunks = new NDList();
            for (int start = 0; start < prompts.size(); start += batchSize) {
                List<String> part = prompts.subList(start, Math.min(prompts.size(), start + batchSize));
                NDArray tokens = HostTransfers.int64(manager, tokenizer.encodeBatch(part), new Shape(part.size(), tokenizer.contextLength()));
                chunks.add(ClipModel.normalize(model.encodeText(tokens)));
            }
            NDArray all = chunks.size() == 1 ? chunks.get(0) : ai.djl.ndarray.NDArrays.concat(chunks, 0);
            NDArray perClass = all.reshape(classNames.size(), templates.size(), -1).mean(new int[] {1});
            embeddings = ClipModel.normalize(perClass);
            NDScope.unregister(embeddings);
        }
        embeddings.attach(manager);
        cache.put(key, embeddings);
        return embeddings;
    }

    /** logits (N, classes) = 100 * cos(image, class) for images (N, 3, R, R). */
    public NDArray logits(NDArray images, NDArray classEmbeddings) {
        return Tensors.mul(ClipModel.normalize(model.encodeImage(images)).matMul(classEmbeddings.transpose()), 100f);
    }

    /** Predicted class index per image. */
    public long[] predict(NDArray images, NDArray classEmbeddings) {
        return predict(model, images, classEmbeddings);
    }

    /** Predicted class index per image (N, 3, R, R) against unit-norm class embeddings (classes, embed). */
    public static long[] predict(ClipModel model, NDArray images, NDArray classEmbeddings) {
        try (NDScope scope = new NDScope()) {
            return predictions(ClipModel.normalize(model.encodeImage(images)), classEmbeddings);
        }
    }

    /** The argmax class of each unit-norm image embedding (N, embed) against the class embeddings (classes, embed). */
    private static long[] predictions(NDArray features, NDArray classEmbeddings) {
        return HostTransfers.longs(features.matMul(classEmbeddings.transpose()).argMax(1));
    }

    /**
     * What a test image is classified against: unit-norm class embeddings (classes, embed), and for each label of
     * the scored samples the class (row) that is right for it.
     */
    public record Head(NDArray embeddings, int[] columns) {
        /** Samples scored over their own task's classes: label l is right at class l. */
        public static Head own(NDArray embeddings) {
            return new Head(embeddings, java.util.stream.IntStream.range(0, (int) embeddings.getShape().get(0)).toArray());
        }
    }

    /**
     * Top-1 accuracy (%) on labelled samples: each image through the processor's eval transform, classified
     * against the class embeddings of these names and templates, {@code batchSize} images at a time.
     */
    public double accuracy(List<Sample> samples, List<String> classNames, List<String> templates, ClipImageProcessor processor) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("accuracy of no samples");
        }
        Head head = Head.own(classEmbeddings(classNames, templates));
        return 100.0 * correct(model, processor, samples, List.of(head), batchSize, manager)[0] / samples.size();
    }

    /**
     * How many of {@code samples} each head classifies right (its class for the sample's label): eval
     * preprocessing, batches of {@code batchSize}, each image encoded once for every head. One function for every
     * evaluation (single process, Spark executors, every setting).
     */
    public static long[] correct(ClipModel model, ClipImageProcessor processor, List<Sample> samples, List<Head> heads,
            int batchSize, NDManager manager) {
        int res = processor.config().resolution();
        long[] correct = new long[heads.size()];
        for (int start = 0; start < samples.size(); start += batchSize) {
            List<Sample> part = samples.subList(start, Math.min(samples.size(), start + batchSize));
            float[] pixels = new float[part.size() * processor.imageLength()];
            for (int i = 0; i < part.size(); i++) {
                processor.evalInto(part.get(i).image().get(), pixels, i * processor.imageLength());
            }
            try (NDScope scope = new NDScope()) {
                NDArray features = ClipModel.normalize(model.encodeImage(HostTransfers.float32(manager, pixels, new Shape(part.size(), 3, res, res))));
                for (int h = 0; h < heads.size(); h++) {
                    long[] predicted = predictions(features, heads.get(h).embeddings());
                    int[] columns = heads.get(h).columns();
                    for (int i = 0; i < part.size(); i++) {
                        correct[h] += predicted[i] == columns[part.get(i).label()] ? 1 : 0;
                    }
                }
            }
        }
        return correct;
    }

    /** Forgets cached class embeddings (after the model's weights change). */
    public void clearCache() {
        cache.values().forEach(NDArray::close);
        cache.clear();
    }

    @Override
    public void close() {
        clearCache();
    }
}
