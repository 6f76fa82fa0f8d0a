package dev.dacspark.spark.eval;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipImageProcessor;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.ClipTokenizer;
import dev.dacspark.data.Sample;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.continual.JobEvents;
import dev.dacspark.spark.continual.PreparedStream;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.train.InProcessTrainer;
import dev.dacspark.spark.train.ShardReader;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TinyWorld;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The X-TAIL setting through the job on local[2], the zero-shot row of a stream of three domains where "red" is a
 * class of colors and of shapes, and "blue" of colors and of stripes: expected accuracies are counted on the driver
 * against the union written out by hand (blue, green, red, square, vertical stripes).
 */
class XTailEvaluationTest {
    /** The union of the three domains' names, by hand: a shared name once, at its first domain's place. */
    static final List<String> UNION = List.of("blue", "green", "red", "square", "vertical stripes");
    /** Per task, the union class of each label (ImageFolder's sorted folders): colors, shapes, stripes. */
    static final int[][] COLUMNS = {{0, 1, 2}, {2, 3}, {0, 4}};

    @TempDir
    static Path dir;
    static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSessions.local(Map.of());
        TinyWorld.checkpoint(dir, 5);
        TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 2, 6, 31);
        TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 2, 6, 32);
        TinyWorld.task(dir.resolve("src/stripes"), TinyWorld.Kind.STRIPES, 2, 6, 33);
        rename(dir.resolve("src/shapes"), "circle", "red");
        rename(dir.resolve("src/stripes"), "horizontal_stripes", "blue");
        rename(dir.resolve("src/stripes"), "vertical_stripes", "vertical stripes");
        new PrepJob(spark, PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 1, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."] }
                  { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."] }
                  { name = stripes, source { type = image-folder, root = "%s" }, templates = ["{}"] } ] }
                """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri(),
                dir.resolve("src/stripes").toUri())), null)).run();
        Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
    }

    private static void rename(Path task, String from, String to) throws Exception {
        for (String split : new String[] {"train", "test"}) {
            Files.move(task.resolve(split).resolve(from), task.resolve(split).resolve(to));
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void theZeroShotRowOverTheUnionCountsASharedNameRightForBothDomainsAndAnotherDomainsClassWrong() throws Exception {
        JobConfig job = JobConfig.from(ConfigFactory.parseString("""
                dac {
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json" }
                  methods = [zero-shot]
                  eval { batch-size = 4, settings = [mtil, x-tail] }
                  output = "%s"
                  job { run-id = xtail, data = "data", workers = 1 }
                }
                """.formatted(dir.resolve("runs").toUri())), dir);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        new ContinualJob(spark, job, new InProcessTrainer(hadoop), JobEvents.NONE).run();
        RunManifest manifest = RunManifest.read(job.runDir(), hadoop);
        RunManifest.MethodState zeroShot = manifest.methods.get("zero-shot");

        PreparedStream stream = PreparedStream.read(job.data(), hadoop);
        try (NDManager m = NDManager.newBaseManager(); ClipTokenizer tokenizer = ClipTokenizer.load(dir.resolve("tokenizer.json"), 77)) {
            ClipModel model = ClipCheckpoint.load(dir.resolve("tiny-clip.safetensors"), m);
            ZeroShotClassifier classifier = new ZeroShotClassifier(model, tokenizer, m, 4);
            ClipImageProcessor processor = new ClipImageProcessor(ClipImageProcessor.Config.forModel(model.config()));
            var union = classifier.classEmbeddings(UNION, List.of("a photo of a {}."));
            long sharedRight = 0;
            long otherDomain = 0;
            for (PreparedStream.Task task : stream.tasks()) {
                int t = task.index();
                assertEquals(List.of(UNION.get(COLUMNS[t][0]), UNION.get(COLUMNS[t][1])), task.classNames().subList(0, 2));
                List<Sample> test = ShardReader.read(task.files("test"), hadoop);
                long right = count(model, processor, test, union, COLUMNS[t], m);
                assertEquals(100.0 * right / test.size(), zeroShot.xTailZeroShot.get(t), 1e-9, task.name());
                long own = count(model, processor, test, classifier.classEmbeddings(task.classNames(), task.templates()),
                        java.util.stream.IntStream.range(0, task.classNames().size()).toArray(), m);
                assertEquals(100.0 * own / test.size(), zeroShot.zeroShot.get(t), 1e-9, task.name() + " (mtil)");
                // predictions of a class no label of this task is: wrong, so they bound the accuracy
                long ofThisDomain = 0;
                for (int column : COLUMNS[t]) {
                    int[] always = new int[COLUMNS[t].length];
                    java.util.Arrays.fill(always, column);
                    ofThisDomain += count(model, processor, test, union, always, m);
                }
                otherDomain += test.size() - ofThisDomain;
                assertTrue(right <= ofThisDomain, task.name());
                if (t > 0) { // the shared name's images of its second domain, predicted as the shared class
                    int[] sharedOnly = {COLUMNS[t][0], -1};
                    sharedRight += count(model, processor, test, union, sharedOnly, m);
                }
            }
            assertTrue(sharedRight > 0, "the fixture predicts a shared name for its second domain's images");
            assertTrue(otherDomain > 0, "the fixture predicts another domain's class for some image");
        }
        String results = job.runDir() + "/" + manifest.results;
        assertEquals(4 * 3, spark.read().parquet(results + "/accuracy.parquet").where("setting = 'x-tail'").count());
        assertEquals(4, spark.read().parquet(results + "/metrics.parquet").where("setting = 'x-tail'").count());
        var json = Storage.readJson(results + "/results.json", hadoop).get("methods").get("zero-shot");
        assertEquals(zeroShot.xTailZeroShot.get(2), json.get("x-tail").get("zero_shot").get(2).asDouble(), 0.0);
        assertEquals(zeroShot.zeroShot.get(2), json.get("zero_shot").get(2).asDouble(), 0.0);
    }

    /** Test images whose union prediction is {@code columns[label]}. */
    private static long count(ClipModel model, ClipImageProcessor processor, List<Sample> test, ai.djl.ndarray.NDArray embeddings,
            int[] columns, NDManager m) {
        return ZeroShotClassifier.correct(model, processor, test, List.of(new ZeroShotClassifier.Head(embeddings, columns)), 4, m)[0];
    }
}
