package dev.dacspark.spark.data.mtil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.spark.data.DatasetFolder;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TestFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped conf/mtil.conf and conf/mtil-order-II.conf, unchanged but for the root, the output and
 * a small resolution, prepare miniature copies of all 11 MTIL datasets in their layouts as
 * distributed: every sample with the label, class name and split the reference gives it, and the
 * 5-shot picks; `mtil check` names what is wrong with a copy.
 */
class MtilPrepTest {
    static final Path REPO = Path.of(System.getProperty("repo.dir", ".."));

    @TempDir
    static Path data;
    static SparkSession spark;
    static Map<MtilDataset, Map<String, MtilFixtures.Expected>> expected;

    @BeforeAll
    static void write() throws IOException {
        JsonNode mtil = new ObjectMapper().readTree(Golden.shared().resolve("mtil/mtil.json").toFile()).get("datasets");
        expected = MtilFixtures.writeAll(data.resolve("mtil"), names(mtil, "Caltech101"), names(mtil, "EuroSAT"), names(mtil, "Flowers"));
        spark = SparkSessions.local(Map.of());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static List<String> names(JsonNode mtil, String dataset) {
        List<String> names = new ArrayList<>();
        mtil.get(dataset).get("classnames").forEach(n -> names.add(n.asText()));
        return names;
    }

    static PrepConfig config(String file, Path root, Path out) {
        Path conf = REPO.resolve("conf").resolve(file);
        return PrepConfig.from(ConfigFactory.parseString("mtil.root = \"" + root.toUri() + "\"\n"
                + "dac.prep { output = \"" + out.toUri() + "\", resolution = 16, train-short-side = 16, workers = 2, allow-empty-classes = true }")
                .withFallback(ConfigFactory.parseFile(conf.toFile())), conf.getParent());
    }

    @Test
    void bothOrdersPrepareEverySampleAsTheReferenceReadsIt(@TempDir Path out) throws IOException {
        for (String order : List.of("I", "II")) {
            Path dir = out.resolve(order);
            new PrepJob(spark, config(order.equals("I") ? "mtil.conf" : "mtil-order-II.conf", data.resolve("mtil"), dir)).run();
            JsonNode manifest = new ObjectMapper().readTree(dir.resolve(PrepJob.MANIFEST).toFile());
            List<String> tasks = new ArrayList<>();
            manifest.get("tasks").fieldNames().forEachRemaining(tasks::add);
            assertEquals(MtilDataset.order(order).stream().map(d -> d.key.toLowerCase(java.util.Locale.ROOT)).toList(), tasks, "order " + order);
            for (MtilDataset d : MtilDataset.order(order)) {
                checkTask(d, dir.resolve(d.key.toLowerCase(java.util.Locale.ROOT)));
            }
        }
    }

    private static void checkTask(MtilDataset d, Path task) throws IOException {
        Map<String, MtilFixtures.Expected> want = expected.get(d);
        JsonNode meta = new ObjectMapper().readTree(task.resolve(PrepJob.TASK_METADATA).toFile());
        assertEquals(0, meta.get("quarantined").asInt(), d.key);
        Map<String, Integer> trainPerClass = new HashMap<>();
        Map<String, String> splitOf = new HashMap<>();
        for (String split : List.of("train", "test")) {
            for (Row r : spark.read().parquet(task.resolve(split).toString()).select("id", "label").collectAsList()) {
                String id = r.getString(0);
                MtilFixtures.Expected e = want.get(id);
                assertTrue(e != null, d.key + ": prep wrote " + id + ", which the reference does not read");
                assertEquals(e.split(), split, d.key + " " + id + ": split");
                assertEquals(e.label(), r.getInt(1), d.key + " " + id + ": label");
                assertEquals(e.name(), meta.get("classnames").get(r.getInt(1)).asText(), d.key + " " + id + ": class name");
                assertTrue(splitOf.put(id, split) == null, d.key + ": " + id + " written twice");
                if (split.equals("train")) {
                    trainPerClass.merge(Integer.toString(e.label()), 1, Integer::sum);
                }
            }
        }
        assertEquals(want.keySet(), splitOf.keySet(), d.key + ": every sample of the reference, once");
        // 5-shot: min(k, 5) training images of each class, all from the train split
        Map<String, Integer> fewPerClass = new HashMap<>();
        for (Row r : spark.read().parquet(task.resolve("fewshot").toString()).select("id", "label").collectAsList()) {
            assertEquals("train", splitOf.get(r.getString(0)), d.key + ": few-shot picks come from train");
            fewPerClass.merge(Integer.toString(r.getInt(1)), 1, Integer::sum);
        }
        trainPerClass.forEach((label, n) -> assertEquals(Math.min(n, 5), fewPerClass.get(label), d.key + " class " + label + ": 5-shot"));
        // the miniatures' classes of one or two images leave splits without a class: recorded (allow-empty-classes), by label
        List<String> gaps = new ArrayList<>();
        for (int label = 0; label < meta.get("classnames").size(); label++) {
            List<String> missing = new ArrayList<>();
            for (String split : List.of("train", "test")) {
                int l = label;
                if (want.values().stream().noneMatch(e -> e.label() == l && e.split().equals(split))) {
                    missing.add(split);
                }
            }
            if (!missing.isEmpty()) {
                gaps.add(label + " " + missing);
            }
        }
        List<String> recorded = new ArrayList<>();
        meta.get("empty_classes").forEach(g -> recorded.add(g.get("label").asInt() + " " + g.get("splits").toString().replace("\"", "").replace(",", ", ")));
        assertEquals(gaps, recorded, d.key + ": empty_classes");
        assertEquals(want.size(), meta.get("listed").asInt(), d.key + ": every sample listed");
        // the label table: label -> name -> the dataset's own class id
        JsonNode labels = meta.get("labels");
        assertEquals(meta.get("classnames").size(), labels.size(), d.key);
        for (int i = 0; i < labels.size(); i++) {
            assertEquals(i, labels.get(i).get("label").asInt());
            assertEquals(meta.get("classnames").get(i).asText(), labels.get(i).get("name").asText());
        }
        assertFalse(meta.get("official_counts").get("matches").asBoolean(), d.key + ": a miniature is not the official release");
    }

    @Test
    void checkFindsNothingButTheCountsOnAGoodCopyAndNamesMissingAndTruncatedFiles(@TempDir Path copy) throws IOException {
        Path root = copy.resolve("mtil");
        TestFiles.copyTree(data.resolve("mtil"), root);
        Configuration hadoop = new Configuration();
        List<MtilCheck.Result> good = MtilCheck.run(root.toUri().toString(), MtilDataset.ORDER_I, 5, hadoop, line -> {});
        for (MtilCheck.Result r : good) {
            assertTrue(r.present(), r.dataset().key);
            assertEquals(0, r.unreadable(), r.dataset().key + " " + r.problems());
            assertTrue(r.problems().stream().allMatch(p -> p.contains("the official release has")), r.dataset().key + ": " + r.problems());
        }
        // break three datasets: one missing, one split file cut mid-line, one listed image gone
        delete(root.resolve(MtilDataset.FOOD.folder));
        Path split = root.resolve(MtilDataset.AIRCRAFT.folder).resolve("images_variant_test.txt");
        String text = Files.readString(split);
        Files.writeString(split, text.substring(0, text.length() - 5));
        Files.delete(root.resolve(MtilDataset.OXFORD_PET.folder).resolve("images/Abyssinian_10.jpg"));
        List<MtilCheck.Result> bad = MtilCheck.run(root.toUri().toString(), MtilDataset.ORDER_I, 5, hadoop, line -> {});
        String report = MtilCheck.format(bad);
        MtilCheck.Result food = bad.get(MtilDataset.ORDER_I.indexOf(MtilDataset.FOOD));
        assertFalse(food.present());
        assertTrue(food.problems().get(0).contains("food-101"), food.problems().toString());
        MtilCheck.Result aircraft = bad.get(MtilDataset.ORDER_I.indexOf(MtilDataset.AIRCRAFT));
        assertTrue(aircraft.problems().stream().anyMatch(p -> p.contains("images_variant_test.txt")), aircraft.problems().toString());
        MtilCheck.Result pet = bad.get(MtilDataset.ORDER_I.indexOf(MtilDataset.OXFORD_PET));
        assertTrue(pet.problems().stream().anyMatch(p -> p.contains("1 image(s) that the splits list are missing") && p.contains("Abyssinian_10.jpg")),
                pet.problems().toString());
        assertTrue(report.contains("MISSING") && report.contains("Food: missing"), report);
        // the command: the same table, exit 1
        java.io.StringWriter printed = new java.io.StringWriter();
        picocli.CommandLine cli = dev.dacspark.spark.cli.DacSparkCli.commandLine();
        cli.setOut(new java.io.PrintWriter(printed));
        cli.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(1, cli.execute("mtil", "check", "--root", root.toUri().toString(), "--order", "II", "--sample", "5"));
        assertTrue(printed.toString().startsWith("dataset ") && printed.toString().contains("Food: missing: no folder"), printed.toString());
        assertTrue(printed.toString().indexOf("StanfordCars ") < printed.toString().indexOf("CIFAR100 "), "order II lists StanfordCars first");
    }

    @Test
    void realMnistThroughTheMnistReader(@TempDir Path copy) throws IOException {
        Path mnist = Path.of(System.getProperty("test.data.dir", "../.cache/test-data")).resolve("mnist");
        Path raw = copy.resolve(MtilDataset.MNIST.folder);
        Files.createDirectories(raw);
        for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")) {
            assertTrue(Files.exists(mnist.resolve(f)), "run bin/fetch-test-data first (MNIST in " + mnist + ")");
            Files.copy(mnist.resolve(f), raw.resolve(f));
        }
        MtilCheck.Result r = MtilCheck.check(MtilDataset.MNIST, new DatasetFolder(raw.toUri().toString(), new Configuration()), 5);
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(60000, r.train());
        assertEquals(10000, r.test());
        MtilListing listing = MtilDataset.MNIST.read(new DatasetFolder(raw.toUri().toString(), new Configuration()));
        assertEquals(List.of("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven", "8 - eight",
                "9 - nine"), listing.classNames());
        assertEquals(5, listing.samples().get(0).label()); // the first training digit of MNIST is a 5
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
