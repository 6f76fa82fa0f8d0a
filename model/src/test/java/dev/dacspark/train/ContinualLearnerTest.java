package dev.dacspark.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.data.ImageFolderTask;
import dev.dacspark.data.TaskData;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.TinyWorld;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The single-process continual loop end to end on a tiny CLIP and generated tasks. */
class ContinualLearnerTest {
    @TempDir
    static Path world;

    static Path checkpoint;

    @BeforeAll
    static void makeWorld() {
        checkpoint = TinyWorld.checkpoint(world, 1);
        TinyWorld.task(world.resolve("colors"), TinyWorld.Kind.COLORS, 4, 3, 11);
        TinyWorld.task(world.resolve("shapes"), TinyWorld.Kind.SHAPES, 4, 3, 12);
        TinyWorld.task(world.resolve("stripes"), TinyWorld.Kind.STRIPES, 4, 3, 13);
    }

    static RunConfig config(Path output, String methods) {
        String conf = """
                dac {
                  model { checkpoint = "%s", tokenizer = "%s" }
                  methods = [%s]
                  train { iterations = 4, batch-size = 4, shots = 3, log-every = 2 }
                  eval.batch-size = 5
                  tasks = [
                    { name = colors, root = "%s", templates = ["a photo of {}.", "the color {}."] }
                    { name = shapes, root = "%s", templates = ["a {}.", "a drawing of a {}."] }
                    { name = stripes, root = "%s", templates = ["{}."] }
                  ]
                  job.task-lr { shapes = 1e-3 }
                  output = "%s"
                }
                """.formatted(checkpoint, Golden.shared().resolve("clip/tokenizer.json").toAbsolutePath(), methods,
                world.resolve("colors"), world.resolve("shapes"), world.resolve("stripes"), output);
        return RunConfig.from(ConfigFactory.parseString(conf), null);
    }

    static List<TaskData> tasks(RunConfig c) {
        return c.tasks().stream().<TaskData>map(t -> new ImageFolderTask(t.name(), t.root(), t.templates(), t.classNames())).toList();
    }

    static Map<String, ContinualMetrics> run(RunConfig c) {
        try (NDManager m = NDManager.newBaseManager()) {
            return new ContinualLearner(c, m).run(tasks(c));
        }
    }

    @Test
    void runsEveryMethodReproduciblyAndWritesItsResults(@TempDir Path out) throws Exception {
        RunConfig first = config(out.resolve("first"), "zero-shot, seq-lora, dac-no-ago, dac");
        Map<String, ContinualMetrics> a = run(first);
        Map<String, ContinualMetrics> b = run(config(out.resolve("second"), "zero-shot, seq-lora, dac-no-ago, dac"));
        assertEquals(List.of("zero-shot", "seq-lora", "dac-no-ago", "dac"), List.copyOf(a.keySet()));

        // bit for bit: the same metrics and the same bytes in every file written
        for (String method : a.keySet()) {
            assertEquals(a.get(method).toMap(), b.get(method).toMap(), method);
        }
        try (var files = Files.walk(out.resolve("first"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path twin = out.resolve("second").resolve(out.resolve("first").relativize(f));
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(twin), "differs: " + f);
            }
        }

        // the files of a run
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("first/dac/metrics.json").toFile());
        assertEquals(3, metrics.get("accuracy").size());
        assertEquals(3, metrics.get("zero_shot").size());
        assertEquals(a.get("dac").transfer(), metrics.get("transfer").asDouble(), 1e-12);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("first/summary.json").toFile());
        assertEquals(a.get("seq-lora").last(), summary.get("seq-lora").get("last").asDouble(), 1e-12);
        for (String task : List.of("task-01-colors", "task-02-shapes", "task-03-stripes")) {
            assertTrue(Files.exists(out.resolve("first/dac").resolve(task).resolve("lora.safetensors")), task);
            assertTrue(Files.exists(out.resolve("first/dac").resolve(task).resolve("merged.safetensors")), task);
        }
        assertFalse(Files.exists(out.resolve("first/zero-shot/task-01-colors")), "zero-shot trains nothing");

        // zero-shot rows never change; the other methods change the model
        ContinualMetrics zs = a.get("zero-shot");
        for (int i = 1; i <= 3; i++) {
            for (int j = 1; j <= 3; j++) {
                assertEquals(zs.zeroShotRow()[j - 1], zs.acc(i, j), 1e-12);
            }
        }
        // every method starts from the same zero-shot row
        assertArrayEquals(zs.zeroShotRow(), a.get("dac").zeroShotRow(), 1e-12);

        // the merged checkpoint of the last task reloads, and seq-lora keeps no router
        try (NDManager m = NDManager.newBaseManager()) {
            ClipCheckpoint.load(out.resolve("first/dac/task-03-stripes/merged.safetensors"), m);
        }
        Map<String, SafeTensors.Tensor> seq = SafeTensors.readAll(out.resolve("first/seq-lora/task-01-colors/lora.safetensors"));
        assertTrue(seq.keySet().stream().noneMatch(k -> k.contains("router")));
        // AGO changes what DAC learns from the second task on, and nothing before it
        Map<String, SafeTensors.Tensor> dac1 = SafeTensors.readAll(out.resolve("first/dac/task-01-colors/lora.safetensors"));
        Map<String, SafeTensors.Tensor> noAgo1 = SafeTensors.readAll(out.resolve("first/dac-no-ago/task-01-colors/lora.safetensors"));
        String someB = "visual.transformer.resblocks.0.attn.q_proj.lora_B";
        assertArrayEquals(noAgo1.get(someB).toFloats(), dac1.get(someB).toFloats());
        Map<String, SafeTensors.Tensor> dac2 = SafeTensors.readAll(out.resolve("first/dac/task-02-shapes/lora.safetensors"));
        Map<String, SafeTensors.Tensor> noAgo2 = SafeTensors.readAll(out.resolve("first/dac-no-ago/task-02-shapes/lora.safetensors"));
        assertFalse(Arrays.equals(noAgo2.get(someB).toFloats(), dac2.get(someB).toFloats()), "AGO must act on task 2");
    }

    @Test
    void aTaskWithFewerImagesThanABatchIsAClearError(@TempDir Path out) {
        RunConfig c = config(out, "dac");
        RunConfig big = new RunConfig(c.seed(), c.checkpoint(), c.tokenizer(), c.saveFormat(), c.method(), c.methods(),
                new RunConfig.Train(2, 64, 1e-3, 1e-6, AdamW.Settings.defaults(), 3, 1), c.taskLr(), c.evalBatchSize(), c.tasks(), c.output());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(big));
        assertTrue(e.getMessage().contains("task 'colors': 9 training images, fewer than dac.train.batch-size 64"), e.getMessage());
    }
}
