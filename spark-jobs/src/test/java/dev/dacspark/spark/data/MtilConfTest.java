package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.data.mtil.MtilDataset;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** conf/mtil.conf and conf/mtil-order-II.conf hold the benchmark of ../shared/mtil/mtil.json. */
class MtilConfTest {
    static final Path REPO = Path.of(System.getProperty("repo.dir", ".."));

    static PrepConfig load(String file) {
        Path conf = REPO.resolve("conf").resolve(file);
        return PrepConfig.from(ConfigFactory.parseString("mtil.root = \"s3a://bench/mtil\"")
                .withFallback(ConfigFactory.parseFile(conf.toFile())), conf.getParent());
    }

    @Test
    void bothOrdersMatchTheBenchmark() throws IOException {
        JsonNode mtil = new ObjectMapper().readTree(Golden.shared().resolve("mtil/mtil.json").toFile());
        for (String order : List.of("I", "II")) {
            PrepConfig c = load(order.equals("I") ? "mtil.conf" : "mtil-order-II.conf");
            List<String> expected = new ArrayList<>();
            mtil.get("order_" + order).forEach(n -> expected.add(n.asText()));
            assertEquals(expected.size(), c.tasks().size(), "order " + order);
            assertEquals(MtilDataset.keys().stream().sorted().toList(), expected.stream().sorted().toList(), "the 11 datasets");
            assertTrue(c.output().endsWith("prepared-order-" + order + "-shots-5"), c.output());
            for (int i = 0; i < expected.size(); i++) {
                JsonNode ds = mtil.get("datasets").get(expected.get(i));
                PrepConfig.TaskSource t = c.tasks().get(i);
                assertEquals(expected.get(i).toLowerCase(java.util.Locale.ROOT), t.name(), "task names are the dataset keys, lower case");
                List<String> templates = new ArrayList<>();
                ds.get("templates").forEach(x -> templates.add(x.asText()));
                assertEquals(templates, t.templates(), t.name());
                if (ds.get("classnames").isArray()) {
                    List<String> names = new ArrayList<>();
                    ds.get("classnames").forEach(x -> names.add(x.asText()));
                    assertEquals(names, t.classNames(), t.name());
                } else {
                    assertNull(t.classNames(), t.name() + ": the dataset's own names");
                }
                assertNull(t.classNamesFile(), t.name());
                assertNull(t.split(), t.name() + ": the dataset's own split (" + ds.get("split").asText() + ")");
                assertEquals(5, t.shots());
                MtilDataset d = MtilDataset.of(expected.get(i));
                assertEquals(new PrepConfig.Mtil(d, d.folderUnder("s3a://bench/mtil")), t.source(), "each dataset in its folder as distributed");
                assertEquals(d, MtilDataset.order(order).get(i), "MtilDataset's order " + order);
            }
        }
    }

    @Test
    void trainConfigsReadThePreparedStreamWithThePublishedSettings() {
        for (String order : List.of("I", "II")) {
            Path conf = REPO.resolve("conf").resolve(order.equals("I") ? "mtil-train.conf" : "mtil-train-order-II.conf");
            JobConfig job = JobConfig.from(ConfigFactory.parseString("mtil.root = \"s3a://bench/mtil\", CLIP = \"s3a://bench/clip\"")
                    .withFallback(ConfigFactory.parseFile(conf.toFile())), conf.getParent());
            assertEquals("mtil-order-" + order + "-shots-5", job.runId());
            assertEquals(load(order.equals("I") ? "mtil.conf" : "mtil-order-II.conf").output(), job.data(), "the prep output of the same order");
            assertEquals("s3a://bench/clip", job.checkpoint());
            assertEquals(order.equals("I") ? Map.of() : Map.ofEntries(Map.entry("stanfordcars", 2e-3), Map.entry("food", 2e-3),
                    Map.entry("mnist", 1e-3), Map.entry("oxfordpet", 2e-3), Map.entry("flowers", 2e-3), Map.entry("sun397", 2e-3),
                    Map.entry("aircraft", 3e-3), Map.entry("caltech101", 2e-3), Map.entry("dtd", 2e-3), Map.entry("eurosat", 1e-3),
                    Map.entry("cifar100", 3e-3)),
                    job.run().taskLr());
        }
    }

    @Test
    void theXTailConfigsHoldRailsTenDatasetsIn16ShotsAndScoreInBothSettings() {
        PrepConfig c = load("xtail.conf");
        // RAIL's configs/analytic_clip.yaml: aircraft, caltech101, dtd, eurosat, oxford_flowers, food101, mnist,
        // oxford_pets, stanford_cars, sun397; num_shots 16
        assertEquals(List.of("aircraft", "caltech101", "dtd", "eurosat", "flowers", "food", "mnist", "oxfordpet", "stanfordcars",
                "sun397"), c.tasks().stream().map(PrepConfig.TaskSource::name).toList());
        c.tasks().forEach(t -> assertEquals(16, t.shots(), t.name()));
        PrepConfig.TaskSource caltech = load("mtil.conf").tasks().get(1);
        assertEquals(caltech.source(), c.tasks().get(1).source(), "a dataset as conf/mtil.conf reads it");
        assertEquals(caltech.classNames(), c.tasks().get(1).classNames());
        assertEquals(caltech.templates(), c.tasks().get(1).templates());
        Path conf = REPO.resolve("conf").resolve("xtail-train.conf");
        JobConfig job = JobConfig.from(ConfigFactory.parseString("mtil.root = \"s3a://bench/mtil\", CLIP = \"s3a://bench/clip\"")
                .withFallback(ConfigFactory.parseFile(conf.toFile())), conf.getParent());
        assertEquals(c.output(), job.data());
        assertEquals("xtail-shots-16", job.runId());
        assertEquals(List.of(dev.dacspark.eval.EvalSetting.X_TAIL, dev.dacspark.eval.EvalSetting.MTIL), job.run().eval().settings());
        assertEquals(List.of("a photo of a {}."), job.run().eval().xTailTemplates());
    }
}
