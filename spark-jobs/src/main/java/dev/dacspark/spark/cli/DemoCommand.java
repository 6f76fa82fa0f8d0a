package dev.dacspark.spark.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.dacspark.data.ImageFolderTask;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.DemoBaseModel;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.WordLevelVocabulary;
import dev.dacspark.data.glyphs.Category;
import dev.dacspark.data.glyphs.GlyphCaptions;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.data.glyphs.GlyphGenerator;
import dev.dacspark.data.glyphs.GlyphStyle;
import dev.dacspark.data.glyphs.GlyphTask;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code dac demo}: the whole system on this machine in a few minutes. Generates the task stream of
 * {@code conf/demo.conf} (glyphs in styles the shipped base model has not seen), prepares it with the
 * prep job, runs the continual-learning job for every method on a local Spark master with file://
 * storage, prints the accuracy matrices and Transfer / Average / Last, and writes the HTML report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a small task stream, prepare it and run every method on it (local Spark), then print the results.")
public final class DemoCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

    @Option(names = "--config", paramLabel = "FILE", description = "Demo config (default: conf/demo.conf of this checkout).")
    Path config;

    @Option(names = "--master", description = "Spark master (default local[*]; local-cluster[2,1,2048] with dac.job.workers = 2).")
    String master;

    @Spec
    CommandSpec spec;

    /** The stream to generate: one task per entry of dac.demo.tasks. */
    record TaskSpec(String name, Category category, GlyphStyle style, int trainPerClass, int testPerClass) {}

    @Override
    public Integer call() throws IOException {
        Path file = config != null ? config : Path.of(System.getProperty("dac.home", "."), "conf", "demo.conf");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("demo config " + file + " does not exist");
        }
        Config user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        Config demo = user.withFallback(ConfigFactory.defaultReference()).resolve().getConfig("dac.demo");
        Path folder = file.toAbsolutePath().getParent().resolve(demo.getString("folder")).normalize();
        List<TaskSpec> tasks = new ArrayList<>();
        for (Config t : demo.getConfigList("tasks")) {
            String where = t.origin().description() + ": dac.demo.tasks";
            tasks.add(new TaskSpec(t.getString("name"), Category.parse(t.getString("category"), where),
                    GlyphStyle.parse(t.getString("style"), where), t.getInt("train-per-class"), t.getInt("test-per-class")));
        }
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();

        // a fresh folder: generated images, prepared shards, the base model, the run
        deleteTree(folder);
        GlyphGenerator generator = new GlyphGenerator(demo.getLong("seed"), demo.getInt("image-size"));
        StringBuilder prepTasks = new StringBuilder();
        for (TaskSpec t : tasks) {
            GlyphTask task = new GlyphTask(t.name(), t.category(), t.style(), t.trainPerClass(), t.testPerClass(), generator);
            ImageFolderTask.write(task, folder.resolve("images").resolve(t.name()));
            prepTasks.append(String.format("{ name = \"%s\", source { type = image-folder, root = \"%s\" }, classnames = %s, "
                    + "templates = %s, shots = 0 }%n", t.name(), folder.resolve("images").resolve(t.name()).toUri(),
                    hocon(task.classNames()), hocon(task.templates())));
        }
        out.printf("demo: generated %d tasks (%s) in %s%n", tasks.size(),
                tasks.stream().map(TaskSpec::name).collect(Collectors.joining(", ")), folder.resolve("images"));
        out.flush();
        Path base = Files.createDirectories(folder.resolve("base"));
        switch (demo.getString("base-model")) {
            case "shipped" -> {
                Files.copy(DemoBaseModel.checkpoint(), base.resolve("base-clip.safetensors"));
                Files.copy(DemoBaseModel.tokenizer(), base.resolve("tokenizer.json"));
            }
            case "random" -> randomBase(demo, tasks, base);
            default -> throw new IllegalArgumentException(demo.getValue("base-model").origin().description()
                    + ": dac.demo.base-model must be shipped or random, got '" + demo.getString("base-model") + "'");
        }

        Config run = user.withoutPath("dac.demo")
                .withFallback(ConfigFactory.parseString(String.format("""
                        dac.model { checkpoint = "%s", tokenizer = "%s" }
                        dac.output = "%s"
                        dac.job.data = "%s"
                        """, base.resolve("base-clip.safetensors").toUri(), base.resolve("tokenizer.json").toUri(),
                        folder.resolve("runs").toUri(), folder.resolve("data").toUri())));
        JobConfig job = JobConfig.from(run, file.toAbsolutePath().getParent());
        PrepConfig prep = PrepConfig.from(ConfigFactory.parseString(String.format("""
                dac.prep { output = "%s", workers = %d, resolution = %d, train-short-side = %d, tasks = [
                %s] }
                """, folder.resolve("data").toUri(), job.workers(), demo.getInt("image-size"), demo.getInt("image-size"), prepTasks)),
                null);

        Map<String, ContinualMetrics> results;
        try (LocalSpark.Session session = LocalSpark.session("dac-spark demo", master)) {
            new PrepJob(session.spark(), prep).run();
            out.printf("demo: prepared in %.0f s; training %s on %d task(s) ...%n", (System.nanoTime() - t0) / 1e9,
                    job.run().methods().stream().map(m -> m.id()).toList(), tasks.size());
            out.flush();
            results = new ContinualJob(session.spark(), job).run();
        }
        Path report = folder.resolve("report.html");
        ReportCommand.write(List.of(job.runDir()), report, new org.apache.hadoop.conf.Configuration());
        TrainCommand.print(out, results);
        out.printf("%ndemo: done in %.1f min; run folder %s%nreport: %s%n", (System.nanoTime() - t0) / 60e9, job.runDir(), report);
        out.flush();
        return 0;
    }

    /**
     * An untrained CLIP of dac.demo.random-model and a word-level tokenizer of the stream's class names and
     * templates: the pipeline end to end, with chance-level accuracy (the shipped base model is what makes
     * the numbers mean something).
     */
    private static void randomBase(Config demo, List<TaskSpec> tasks, Path base) {
        List<String> texts = new ArrayList<>();
        for (TaskSpec t : tasks) {
            List<String> names = GlyphCaptions.classNames(t.category());
            for (String template : GlyphCaptions.templates(t.category())) {
                names.forEach(n -> texts.add(ZeroShotClassifier.prompt(template, n)));
            }
        }
        WordLevelVocabulary vocabulary = WordLevelVocabulary.of(texts);
        vocabulary.write(base.resolve("tokenizer.json"));
        ClipConfig config = ClipConfig.fromHocon(demo.getConfig("random-model").withFallback(
                ConfigFactory.parseMap(Map.of("vocab_size", vocabulary.size(), "image_resolution", demo.getInt("image-size")))));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(config);
            model.initialize(m, demo.getLong("seed"));
            ClipCheckpoint.save(model, base.resolve("base-clip.safetensors"), ClipCheckpoint.Format.OPENAI,
                    Map.of("note", "untrained (dac.demo.base-model = random)"));
        }
    }

    private static String hocon(List<String> values) {
        return values.stream().map(v -> "\"" + v.replace("\"", "\\\"") + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    private static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
