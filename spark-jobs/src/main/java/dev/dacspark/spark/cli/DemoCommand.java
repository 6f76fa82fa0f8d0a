package dev.dacspark.spark.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import dev.dacspark.config.Settings;
import dev.dacspark.data.ImageFolderTask;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.checkpoint.DemoBaseModel;
import dev.dacspark.clip.ClipConfig;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.clip.WordLevelVocabulary;
import dev.dacspark.data.glyphs.GlyphCaptions;
import dev.dacspark.eval.ZeroShotClassifier;
import dev.dacspark.data.glyphs.GlyphGenerator;
import dev.dacspark.data.glyphs.GlyphTask;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.ContinualJob;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.data.PrepJob;
import dev.dacspark.spark.sweep.SweepConfig;
import dev.dacspark.spark.sweep.SweepJob;
import org.apache.spark.sql.SparkSession;
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
 * storage, prints the accuracy matrices and Transfer / Average / Last, and writes the HTML report. With {@code --sweep}
 * ({@code conf/demo-sweep.conf}) the same stream trains a sweep of 2 seeds x 2 methods, two runs at a time on a
 * local-cluster, and prints the sweep's mean and standard deviation tables.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a small task stream, prepare it and run every method on it (local Spark), then print the results.")
public final class DemoCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

    @Option(names = "--config", paramLabel = "FILE", description = "Demo config (default: conf/demo.conf of this checkout).")
    Path config;

    @Option(names = "--master", description = "Spark master (default local[*], with --sweep local-cluster[2,1,2048]; "
            + "local-cluster[2,1,2048] with dac.job.workers = 2).")
    String master;

    @Option(names = "--sweep", description = "Run the sweep of conf/demo-sweep.conf (2 seeds x 2 methods, two runs at a time "
            + "on local-cluster[2,1,2048]) instead of one run of every method.")
    boolean sweep;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path file = config != null ? config : Path.of(System.getProperty("dac.home", "."), "conf", sweep ? "demo-sweep.conf" : "demo.conf");
        Config user = Settings.parse(file, "demo config");
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        String m = master != null ? master : sweep ? "local-cluster[2,1,2048]" : null;
        try (LocalSpark.Session session = LocalSpark.session("dac-spark demo", m)) {
            Config run = prepare(user, file, session.spark(), out);
            if (sweep) {
                SweepConfig s = SweepConfig.from(run, Settings.folder(file));
                out.printf("demo: prepared in %.0f s; sweep '%s': %d runs ...%n", (System.nanoTime() - t0) / 1e9, s.id(), s.runs().size());
                out.flush();
                SweepJob.Outcome outcome = new SweepJob(session.spark(), s).run();
                SweepCommand.print(out, s, outcome);
                out.printf("%ndemo: done in %.1f min; report: %s/%s%n", (System.nanoTime() - t0) / 60e9, s.dir(), SweepJob.PAGE);
                out.flush();
                return outcome.manifest().complete ? 0 : 1;
            }
            JobConfig job = JobConfig.from(run, Settings.folder(file));
            out.printf("demo: prepared in %.0f s; training %s ...%n", (System.nanoTime() - t0) / 1e9,
                    job.run().methods().stream().map(x -> x.id()).toList());
            out.flush();
            Map<EvalSetting, Map<String, ContinualMetrics>> results = new ContinualJob(session.spark(), job).run();
            Path report = DemoConfig.read(Settings.of(user, Settings.folder(file))).folder().resolve("report.html");
            ReportCommand.write(List.of(job.runDir()), report, new org.apache.hadoop.conf.Configuration());
            TrainCommand.printSettings(out, results);
            out.printf("%ndemo: done in %.1f min; run folder %s%nreport: %s%n", (System.nanoTime() - t0) / 60e9, job.runDir(), report);
            out.flush();
        }
        return 0;
    }

    /**
     * Generates the demo's task stream ({@code dac.demo}: glyph images, the base model) in its folder, emptied first,
     * prepares it with the prep job, and returns the user's config with the model, data and output locations the demo
     * set: a run config, or a sweep config when the file has {@code dac.sweep}. The sweep benchmark uses it too.
     */
    public static Config prepare(Config user, Path file, SparkSession spark, PrintWriter out) throws IOException {
        DemoConfig demo = DemoConfig.read(Settings.of(user, Settings.folder(file)));
        Path folder = demo.folder();
        List<DemoConfig.TaskSpec> tasks = demo.tasks();

        // a fresh folder: generated images, prepared shards, the base model, the run
        deleteTree(folder);
        GlyphGenerator generator = new GlyphGenerator(demo.seed(), demo.imageSize());
        List<Map<String, Object>> prepTasks = new ArrayList<>();
        for (DemoConfig.TaskSpec t : tasks) {
            GlyphTask task = new GlyphTask(t.name(), t.category(), t.style(), t.trainPerClass(), t.testPerClass(), generator);
            Path images = folder.resolve("images").resolve(t.name());
            ImageFolderTask.write(task, images);
            prepTasks.add(Map.of("name", t.name(), "source", Map.of("type", "image-folder", "root", images.toUri().toString()),
                    "classnames", task.classNames(), "templates", task.templates(), "shots", 0));
        }
        out.printf("demo: generated %d tasks (%s) in %s%n", tasks.size(),
                tasks.stream().map(DemoConfig.TaskSpec::name).collect(Collectors.joining(", ")), folder.resolve("images"));
        out.flush();
        Path base = Files.createDirectories(folder.resolve("base"));
        switch (demo.baseModel()) {
            case SHIPPED -> {
                Files.copy(DemoBaseModel.checkpoint(), base.resolve("base-clip.safetensors"));
                Files.copy(DemoBaseModel.tokenizer(), base.resolve("tokenizer.json"));
            }
            case RANDOM -> randomBase(demo, base);
        }

        // the demo's file gives the run's settings; the demo sets where its model, data and runs are
        Config run = user.withFallback(ConfigFactory.empty()
                .withValue("dac.model.checkpoint", demoValue(base.resolve("base-clip.safetensors").toUri().toString()))
                .withValue("dac.model.tokenizer", demoValue(base.resolve("tokenizer.json").toUri().toString()))
                .withValue("dac.output", demoValue(folder.resolve("runs").toUri().toString()))
                .withValue("dac.job.data", demoValue(folder.resolve("data").toUri().toString())));
        int workers = Settings.of(run, Settings.folder(file)).section("dac.job").positiveInt("workers");
        PrepConfig prep = PrepConfig.from(ConfigFactory.empty().withValue("dac.prep", demoValue(Map.of(
                "output", folder.resolve("data").toUri().toString(), "workers", workers, "resolution", demo.imageSize(),
                "train-short-side", demo.imageSize(), "tasks", prepTasks))), null);
        new PrepJob(spark, prep).run();
        return run;
    }

    /**
     * An untrained CLIP of dac.demo.random-model and a word-level tokenizer of the stream's class names and
     * templates: the pipeline end to end, with chance-level accuracy (the shipped base model is what makes
     * the numbers mean something).
     */
    private static void randomBase(DemoConfig demo, Path base) {
        List<String> texts = new ArrayList<>();
        for (DemoConfig.TaskSpec t : demo.tasks()) {
            List<String> names = GlyphCaptions.classNames(t.category());
            for (String template : GlyphCaptions.templates(t.category())) {
                names.forEach(n -> texts.add(ZeroShotClassifier.prompt(template, n)));
            }
        }
        WordLevelVocabulary vocabulary = WordLevelVocabulary.of(texts);
        vocabulary.write(base.resolve("tokenizer.json"));
        ClipConfig config = ClipConfig.fromHocon(demo.randomModel().withFallback(
                ConfigFactory.parseMap(Map.of("vocab_size", vocabulary.size(), "image_resolution", demo.imageSize()))));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = new ClipModel(config);
            model.initialize(m, demo.seed());
            ClipCheckpoint.save(model, base.resolve("base-clip.safetensors"), ClipCheckpoint.Format.OPENAI,
                    Map.of("note", "untrained (dac.demo.base-model = random)"));
        }
    }

    /** A value the demo sets, named as such in errors. */
    private static ConfigValue demoValue(Object value) {
        return ConfigValueFactory.fromAnyRef(value, "set by dac demo");
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
