package dev.dacspark.spark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dacspark.data.glyphs.Category;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dac demo} on a reduced stream: it runs end to end and prints what it wrote. */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void theDemoPrintsTheMetricsItWrote() throws Exception {
        Path conf = Files.writeString(dir.resolve("demo.conf"), """
                dac {
                  demo {
                    folder = "demo", seed = 3, image-size = 32, base-model = random
                    tasks = [
                      { name = digits, category = digit, style = handwritten, train-per-class = 3, test-per-class = 3 }
                      { name = shapes, category = shape, style = textured, train-per-class = 3, test-per-class = 3 } ]
                  }
                  methods = [zero-shot, dac]
                  train { iterations = 3, batch-size = 8 }
                  job { run-id = demo, workers = 1, checkpoint-every = 3 }
                }
                """);
        String out = runDemo(conf);
        Configuration hadoop = new Configuration();
        String run = runUri("demo");
        RunManifest manifest = RunManifest.read(run, hadoop);
        assertTrue(manifest.complete);
        JsonNode dac = Storage.readJson(run + "/" + manifest.results + "/results.json", hadoop).at("/methods/dac");
        String dacBlock = out.substring(out.indexOf("dac: accuracy"));
        for (String metric : new String[] {"Transfer", "Average", "Last"}) {
            Matcher m = Pattern.compile(metric + ": ([0-9.]+)").matcher(dacBlock);
            assertTrue(m.find(), metric + " line missing:\n" + out);
            assertEquals(String.format(Locale.ROOT, "%.2f", dac.get(metric.toLowerCase(Locale.ROOT)).asDouble()), m.group(1), metric);
        }
        Path report = dir.resolve("demo/report.html");
        assertTrue(out.contains("report: " + report), out);
        assertTrue(Files.readString(report).contains("digits"), "the report shows the run");
    }

    /**
     * The real demo (conf/demo.conf, the shipped base model, every method; about 7 minutes on 2 cores): the stream
     * has tasks of concepts the base model does not know (zero-shot under twice chance), every trained method ends
     * each task above the base model's zero-shot accuracy on it, and the printed table is what the run wrote.
     */
    @Test
    void theShippedDemoLearnsEveryTaskAndPrintsWhatItWrote() throws Exception {
        Path repo = Path.of(System.getProperty("repo.dir", ".."));
        String demoConf = Files.readString(repo.resolve("conf/demo.conf")).replace("folder = \"../runs/demo\"", "folder = \"shipped\"");
        assertTrue(demoConf.contains("folder = \"shipped\""), "conf/demo.conf names its folder");
        Path conf = Files.writeString(dir.resolve("demo.conf"), demoConf);
        String out = runDemo(conf);
        Configuration hadoop = new Configuration();
        String run = runUri("shipped");
        RunManifest manifest = RunManifest.read(run, hadoop);
        JsonNode methods = Storage.readJson(run + "/" + manifest.results + "/results.json", hadoop).get("methods");
        int unknown = 0;
        for (com.typesafe.config.Config task : com.typesafe.config.ConfigFactory.parseString(demoConf).getConfigList("dac.demo.tasks")) {
            Category category = Category.parse(task.getString("category"), "conf/demo.conf");
            if (!Category.PRETRAINED.contains(category)) {
                double zeroShot = methods.get("zero-shot").get("zero_shot").get(manifest.datasets.indexOf(task.getString("name"))).asDouble();
                assertTrue(zeroShot < 2 * 100.0 / category.size(), task.getString("name") + ": zero-shot " + zeroShot);
                unknown++;
            }
        }
        assertTrue(unknown >= 2, "tasks of concepts the base model does not know: " + unknown);
        for (String method : new String[] {"seq-lora", "dac-no-ago", "dac"}) {
            JsonNode m = methods.get(method);
            for (int t = 0; t < manifest.datasets.size(); t++) {
                double zeroShot = m.get("zero_shot").get(t).asDouble();
                double learned = m.get("accuracy").get(t).get(t).asDouble();
                assertTrue(learned > zeroShot, method + " on '" + manifest.datasets.get(t) + "': " + learned
                        + " after learning it, zero-shot " + zeroShot);
            }
            Matcher row = Pattern.compile("(?m)^" + Pattern.quote(method) + " +(\\S+) +(\\S+) +(\\S+)$").matcher(out);
            assertTrue(row.find(), method + " row missing in the table:\n" + out);
            assertEquals(String.format(Locale.ROOT, "%.2f", m.get("transfer").asDouble()), row.group(1), method + " Transfer");
            assertEquals(String.format(Locale.ROOT, "%.2f", m.get("average").asDouble()), row.group(2), method + " Average");
            assertEquals(String.format(Locale.ROOT, "%.2f", m.get("last").asDouble()), row.group(3), method + " Last");
        }
    }

    /** Runs {@code dac demo --config conf}, which must succeed; what it printed. */
    private static String runDemo(Path conf) {
        StringWriter text = new StringWriter();
        int code = DacSparkCli.commandLine().setOut(new PrintWriter(text)).execute("demo", "--config", conf.toString());
        assertEquals(0, code, text.toString());
        return text.toString();
    }

    /** The run (run id demo) that a demo with this working folder wrote. */
    private String runUri(String folder) {
        return dir.resolve(folder + "/runs/demo").toUri().toString().replaceAll("/$", "");
    }
}
