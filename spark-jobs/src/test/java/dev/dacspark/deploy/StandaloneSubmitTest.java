package dev.dacspark.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.testing.Golden;
import dev.dacspark.testing.TinyWorld;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/spark-submit/dac-submit.sh, unchanged, runs the jobs on a Spark standalone Master and Worker on 127.0.0.1
 * with two executors (one core each, {@code --cpu}). The job jar is a thin jar of this module's classes; its
 * dependencies reach the driver and the executors through SPARK_DIST_CLASSPATH (see {@link StandaloneCluster}).
 */
class StandaloneSubmitTest {
    @TempDir
    static Path dir;
    static StandaloneCluster cluster;
    static Path jar;
    static String prepared;

    @BeforeAll
    static void start() {
        cluster = new StandaloneCluster(dir, 2, "3g");
        jar = thinJar(Path.of("target", "classes"), dir.resolve("dac-spark-jobs-thin.jar"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Submits {@code command} with {@code config} on two executors; returns the event log's executor ids that ran tasks. */
    static Set<String> submit(String command, Path config, String... jobArgs) {
        Path events = dir.resolve("events-" + command);
        try {
            Files.createDirectories(events);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of("bash", Scripts.deploy("spark-submit/dac-submit.sh").toString(), command,
                "--config", config.toString(), "--master", cluster.masterUrl, "--cpu", "--executors", "2", "--executor-cores", "1",
                "--executor-memory", "1g", "--driver-memory", "1g", "--jar", jar.toString(),
                "--conf", "spark.ui.enabled=false", "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri()));
        cmd.addAll(List.of(jobArgs));
        Scripts.Result r = Scripts.run(cmd, dir, cluster.submitEnvironment(), 600);
        assertEquals(0, r.exit(), () -> r + "\n" + cluster.logs());
        return executorsThatRanTasks(events);
    }

    /** The ids of the executors that finished tasks, from the application's event log; asserts that it had two executors. */
    static Set<String> executorsThatRanTasks(Path events) {
        ObjectMapper json = new ObjectMapper();
        Set<String> added = new TreeSet<>();
        Set<String> ran = new TreeSet<>();
        try (Stream<Path> files = Files.list(events)) {
            List<Path> logs = files.toList();
            assertEquals(1, logs.size(), "one application: " + logs);
            for (String line : Files.readAllLines(logs.get(0))) {
                JsonNode event = json.readTree(line);
                switch (event.get("Event").asText()) {
                    case "SparkListenerExecutorAdded" -> added.add(event.get("Executor ID").asText());
                    case "SparkListenerTaskEnd" -> ran.add(event.get("Task Info").get("Executor ID").asText());
                    default -> { }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(Set.of("0", "1"), added, "two executors");
        return ran;
    }

    /** The prep job's output (a tiny generated image-folder task), made once through the script. */
    static synchronized String prepared() throws IOException {
        if (prepared == null) {
            Path colors = TinyWorld.task(dir.resolve("colors"), TinyWorld.Kind.COLORS, 6, 2, 21);
            String output = dir.resolve("prep").toUri().toString();
            Path config = Files.writeString(dir.resolve("prep.conf"), """
                    dac.prep { output = "%s", workers = 2, resolution = 32, train-short-side = 40,
                      tasks = [ { name = colors, source { type = image-folder, root = "%s" }, templates = ["a photo of {}."], shots = 2 } ] }
                    """.formatted(output, colors.toUri()));
            Set<String> executors = submit("prep", config);
            assertEquals(Set.of("0", "1"), executors, "both executors ran prep tasks");
            prepared = output;
        }
        return prepared;
    }

    @Test
    void prepRunsOnTwoExecutors() throws IOException {
        prepared();
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("prep/_manifest.json").toFile());
        assertTrue(manifest.get("tasks").has("colors"), manifest::toPrettyString);
        JsonNode task = new ObjectMapper().readTree(dir.resolve("prep/colors/_task.json").toFile());
        assertEquals("[\"blue\",\"green\",\"red\"]", task.get("classnames").toString());
        assertEquals("{\"test\":[2,2,2],\"train\":[6,6,6],\"fewshot\":[2,2,2]}", task.get("counts").toString());
        assertTrue(Files.isDirectory(dir.resolve("prep/colors/fewshot/shard=1")), "shards for both workers");
    }

    /** The continual-learning job through the same script. */
    @Test
    void trainRunsOnTwoExecutors() throws IOException {
        String data = prepared();
        Path checkpoint = TinyWorld.checkpoint(dir, 3);
        String output = dir.resolve("runs").toUri().toString();
        Path config = Files.writeString(dir.resolve("train.conf"), """
                dac {
                  output = "%s"
                  model { checkpoint = "%s", tokenizer = "%s" }
                  job { run-id = deploy-test, data = "%s", workers = 2 }
                  train { iterations = 2, batch-size = 2 }
                }
                """.formatted(output, checkpoint.toUri(), Golden.shared().resolve("clip/tokenizer.json").toUri(), data));
        Set<String> executors = submit("train", config);
        assertEquals(Set.of("0", "1"), executors, "both executors trained");
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("runs/deploy-test/_manifest.json").toFile());
        assertTrue(manifest.get("complete").asBoolean(), manifest::toPrettyString);
    }

    /** A jar of a classes folder, with DacSparkCli as its main class (what `mvn package` makes, without its phase). */
    static Path thinJar(Path classes, Path jar) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, JobArguments.MAIN_CLASS);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }
}
