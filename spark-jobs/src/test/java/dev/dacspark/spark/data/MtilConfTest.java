package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
            assertTrue(c.output().endsWith("prepared-order-" + order + "-shots-5"), c.output());
            for (int i = 0; i < expected.size(); i++) {
                JsonNode ds = mtil.get("datasets").get(expected.get(i));
                PrepConfig.TaskSource t = c.tasks().get(i);
                assertEquals(expected.get(i).toLowerCase(java.util.Locale.ROOT), t.name(), "task names are the dataset keys, lower case");
                List<String> templates = new ArrayList<>();
                ds.get("templates").forEach(x -> templates.add(x.asText()));
                assertEquals(templates, t.templates(), t.name());
                if (ds.get("classnames").isArray()) {
                    assertEquals(ds.get("classnames").size(), t.classNames().size(), t.name());
                    assertNull(t.classNamesFile());
                } else {
                    assertEquals("s3a://bench/mtil/" + t.name() + "/classnames.txt", t.classNamesFile());
                }
                boolean random = ds.get("split").asText().contains("80/20");
                assertEquals(random ? 0.8 : null, t.trainFraction(), t.name() + ": " + ds.get("split").asText());
                assertEquals(5, t.shots());
                assertEquals(new PrepConfig.ImageFolder("s3a://bench/mtil/" + t.name()), t.source());
            }
        }
    }
}
