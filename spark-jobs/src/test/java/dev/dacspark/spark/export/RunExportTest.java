package dev.dacspark.spark.export;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.PeftAdapter;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.Param;
import dev.dacspark.spark.cli.DacSparkCli;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.continual.JobEvents;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.train.InProcessTrainer;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.SparkSessions;
import dev.dacspark.testing.TestFiles;
import dev.dacspark.testing.TinyWorld;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A two-task run with {@code save-format = huggingface} (this JVM as the one rank): the job's model directories and
 * adapters, and {@code bin/dac export} of it in every format, also from the run as runs were before adapters existed.
 */
class RunExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static SparkSession spark;
    static String run;
    static JobConfig config;

    @BeforeAll
    static void trainARun() {
        spark = SparkSessions.local(Map.of());
        TinyWorld.checkpoint(dir, 5);
        TinyWorld.task(dir.resolve("src/colors"), TinyWorld.Kind.COLORS, 4, 2, 31);
        TinyWorld.task(dir.resolve("src/shapes"), TinyWorld.Kind.SHAPES, 4, 2, 32);
        new PrepJob(spark, PrepConfig.from(ConfigFactory.parseString("""
                dac.prep { output = "%s", workers = 1, resolution = 32, train-short-side = 40, tasks = [
                  { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."], shots = 2 }
                  { name = shapes, source { type = image-folder, root = "%s" }, templates = ["a {}."], shots = 2 } ] }
                """.formatted(dir.resolve("data").toUri(), dir.resolve("src/colors").toUri(), dir.resolve("src/shapes").toUri())),
                null)).run();
        try {
            Files.copy(Golden.shared().resolve("clip/tokenizer.json"), dir.resolve("tokenizer.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        config = JobConfig.from(ConfigFactory.parseString("""
                dac {
                  seed = 3
                  model { checkpoint = "tiny-clip.safetensors", tokenizer = "tokenizer.json", save-format = huggingface }
                  method { dropout = 0 }
                  methods = [dac]
                  train { iterations = 3, batch-size = 4 }
                  eval { batch-size = 8 }
                  output = "%s"
                  job { run-id = hf, data = "data", workers = 1, checkpoint-every = 3 }
                }
                """.formatted(dir.resolve("runs").toUri())), dir);
        new ContinualJob(spark, config, new InProcessTrainer(spark.sparkContext().hadoopConfiguration()), JobEvents.NONE).run();
        run = config.runDir();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Path local(String relative) {
        return Path.of(java.net.URI.create(run + "/" + relative));
    }

    private static RunManifest manifest() {
        return RunManifest.read(run, spark.sparkContext().hadoopConfiguration());
    }

    @Test
    void theJobWritesEachTasksModelDirectoryAndAdapterThatTurnsThePreviousModelIntoIt() throws Exception {
        List<RunManifest.TaskEntry> tasks = manifest().methods.get("dac").tasks;
        assertEquals(2, tasks.size());
        for (RunManifest.TaskEntry t : tasks) {
            assertNotNull(t.hfModel(), "task " + t.index() + " lists its model directory");
            assertEquals(t.hfModel() + "/model.safetensors", t.merged(), "the merged file is the directory's weights");
            for (String f : List.of("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
                assertTrue(Files.exists(local(t.hfModel()).resolve(f)), t.hfModel() + "/" + f);
            }
            assertTrue(Files.exists(local(t.adapter()).resolve("adapter_model.safetensors")), t.adapter());
        }
        assertEquals(dir.resolve("tiny-clip.safetensors").toAbsolutePath().toString(),
                JSON.readTree(local(tasks.get(0).adapter()).resolve("adapter_config.json").toFile()).get("base_model_name_or_path").asText());
        assertEquals(local(tasks.get(0).hfModel()).toString(),
                JSON.readTree(local(tasks.get(1).adapter()).resolve("adapter_config.json").toFile()).get("base_model_name_or_path").asText());
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel start = ClipCheckpoint.load(dir.resolve("tiny-clip.safetensors"), m);
            for (RunManifest.TaskEntry t : tasks) {
                ClipModel merged = ClipCheckpoint.load(local(t.hfModel()), m);
                assertTrue(maxDifference(start, merged) > 1e-6, "task " + t.index() + " changed the model");
                PeftAdapter.read(local(t.adapter())).applyTo(start);
                assertTrue(maxDifference(start, merged) <= 1e-6, "task " + t.index() + ": " + maxDifference(start, merged));
                start = merged;
            }
        }
        // a start of the same run again keeps them: the manifest lists the folders
        new ContinualJob(spark, config, new InProcessTrainer(spark.sparkContext().hadoopConfiguration()), JobEvents.NONE).run();
        for (RunManifest.TaskEntry t : tasks) {
            assertTrue(Files.exists(local(t.hfModel()).resolve("config.json")), t.hfModel());
            assertTrue(Files.exists(local(t.adapter()).resolve("adapter_config.json")), t.adapter());
        }
    }

    @Test
    void exportWritesEveryFormatFromTheManifestAlsoForARunFromBeforeAdapters() throws Exception {
        Path out = dir.resolve("export");
        for (String format : List.of("huggingface", "openai", "peft")) {
            assertEquals(0, cli("export", "--run", run, "--format", format, "--out", out.toString()).code(), format);
        }
        List<RunManifest.TaskEntry> tasks = manifest().methods.get("dac").tasks;
        Path task1 = out.resolve("dac/task-01-colors");
        Path task2 = out.resolve("dac/task-02-shapes");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel merged1 = ClipCheckpoint.load(local(tasks.get(0).merged()), m);
            ClipModel merged2 = ClipCheckpoint.load(local(tasks.get(1).merged()), m);
            assertEquals(0.0, maxDifference(merged1, ClipCheckpoint.load(task1, m)), "huggingface");
            assertEquals(ClipCheckpoint.Format.OPENAI, ClipCheckpoint.read(task1.resolve("open_clip_model.safetensors")).format());
            assertEquals(0.0, maxDifference(merged2, ClipCheckpoint.load(task2.resolve("open_clip_model.safetensors"), m)), "openai");
            assertTrue(Files.exists(task1.resolve("open_clip_config.json")));
            // the adapter of task 2 is for the export of task 1 beside it, and makes it the merged model of task 2
            JsonNode adapterConfig = JSON.readTree(task2.resolve("adapter/adapter_config.json").toFile());
            assertEquals(task1.toAbsolutePath().toString(), adapterConfig.get("base_model_name_or_path").asText());
            ClipModel fromExport = ClipCheckpoint.load(task1, m);
            PeftAdapter.read(task2.resolve("adapter")).applyTo(fromExport);
            assertTrue(maxDifference(merged2, fromExport) <= 1e-6, "" + maxDifference(merged2, fromExport));
        }
        byte[] adapter2 = Files.readAllBytes(task2.resolve("adapter/adapter_model.safetensors"));
        assertArrayEquals(Files.readAllBytes(local(tasks.get(1).adapter()).resolve("adapter_model.safetensors")), adapter2,
                "the job's adapter and the export's are the same");

        // a run as the job wrote them before: no model directory or adapter in its manifest
        Path old = dir.resolve("old-run");
        TestFiles.copyTree(Path.of(java.net.URI.create(run)), old);
        ObjectNode json = (ObjectNode) JSON.readTree(old.resolve("_manifest.json").toFile());
        for (JsonNode t : json.at("/methods/dac/tasks")) {
            deleteTree(old.resolve(t.get("adapter").asText()));
            ((ObjectNode) t).remove(List.of("adapter", "hf_model"));
        }
        Files.writeString(old.resolve("_manifest.json"), json.toString());
        Files.delete(old.resolve("._manifest.json.crc")); // Hadoop's local checksum of the manifest as the job wrote it
        Path oldOut = dir.resolve("old-export");
        Result r = cli("export", "--run", old.toString(), "--task", "2", "--format", "peft", "--out", oldOut.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(adapter2, Files.readAllBytes(oldOut.resolve("dac/task-02-shapes/adapter/adapter_model.safetensors")));
        assertFalse(Files.exists(oldOut.resolve("dac/task-01-colors")), "--task 2 exports task 2 only");
    }

    @Test
    void exportRefusesWhatItCannotDoNamingIt() {
        Result task = cli("export", "--run", run, "--task", "3", "--format", "huggingface", "--out", dir.resolve("x").toString());
        assertEquals(1, task.code());
        assertTrue(task.err().contains("--task 3") && task.err().contains("2 committed task(s)"), task.err());
        Result method = cli("export", "--run", run, "--method", "seq-lora", "--format", "peft", "--out", dir.resolve("x").toString());
        assertTrue(method.code() == 1 && method.err().contains("'seq-lora'") && method.err().contains("[dac]"), method.err());
        Result format = cli("export", "--run", run, "--format", "onnx", "--out", dir.resolve("x").toString());
        assertTrue(format.code() == 1 && format.err().contains("'onnx'"), format.err());
        Result noRun = cli("export", "--run", dir.resolve("src").toString(), "--format", "peft", "--out", dir.resolve("x").toString());
        assertTrue(noRun.code() == 1 && noRun.err().contains("_manifest.json does not exist"), noRun.err());
    }

    private record Result(int code, String err) {}

    private static Result cli(String... args) {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = DacSparkCli.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, err.toString());
    }

    private static double maxDifference(ClipModel a, ClipModel b) {
        double worst = 0;
        for (Map.Entry<String, Param> e : a.namedParameters().entrySet()) {
            float[] x = e.getValue().array().toFloatArray();
            float[] y = b.namedParameters().get(e.getKey()).array().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
        }
        return worst;
    }

    private static void deleteTree(Path p) throws Exception {
        try (var files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
