package dev.dacspark.notebooks;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.spark.report.SweepTable;
import dev.dacspark.testing.Reruns;
import dev.dacspark.testing.RunOutputs;
import dev.dacspark.testing.SparkSessions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every paragraph of every Zeppelin note in notebooks/ runs, in order, against the output root of two runs (and a
 * started run without a manifest yet): {@code %spark} paragraphs through the Scala 2.12 interpreter with the
 * SparkSession bound as {@code spark} and note forms as {@code z}, {@code %spark.sql} paragraphs through Spark SQL,
 * each returning rows that hold the columns its saved chart names. A note that no longer fits the job's output
 * fails here. Then the run-analysis note's figures are checked against the run's own tables.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ZeppelinNotesTest {
    private static final String NOTE = "dac-runs";

    @TempDir
    static Path dir;
    static SparkSession spark;
    static ScalaRepl repl;
    static Reruns.Output output;
    static String sweepDir;
    static SweepTable sweep;
    /** What each paragraph of the run-analysis note printed (Scala) or returned (SQL), by title. */
    static final Map<String, String> printed = new HashMap<>();
    static final Map<String, List<Row>> returned = new HashMap<>();

    @BeforeAll
    static void interpreter() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("repl-classes"));
        spark = SparkSessions.local(Map.of("spark.repl.class.outputDir", classes.toString()));
        output = Reruns.get(spark);
        repl = new ScalaRepl(classes);
        repl.bind("spark", SparkSession.class.getName(), spark);
        // a sweep's folder beside: the results table of a sweep whose runs are the two reruns (replicates of one configuration)
        sweepDir = dir.resolve("sweep").toUri().toString();
        List<SweepTable.RunMetrics> runs = output.runs().stream().map(run -> {
            RunManifest m = RunManifest.read(run.toUri().toString(), spark.sparkContext().hadoopConfiguration());
            return new SweepTable.RunMetrics(m.runId, Map.of("dac.seed", m.runId), m.metrics(List.of(EvalSetting.MTIL)));
        }).toList();
        sweep = SweepTable.of("reruns", List.of(), List.of(), runs);
        sweep.write(spark, sweepDir);
        repl.bind("z", NoteForms.class.getName(), new NoteForms(Map.of("output", output.root().toUri().toString(), "run", "latest",
                "sweep", sweepDir)));
    }

    @AfterAll
    static void stop() {
        if (repl != null) {
            repl.close();
        }
        spark.stop();
    }

    @TestFactory
    @Order(1)
    Stream<DynamicContainer> everyParagraphOfEveryNoteRuns() {
        List<ZeppelinNote> notes = ZeppelinNote.all(Path.of(System.getProperty("repo.dir"), "notebooks"));
        assertTrue(notes.stream().anyMatch(n -> n.name().equals(NOTE)), "notebooks/ has no note " + NOTE);
        return notes.stream().map(note -> DynamicContainer.dynamicContainer(note.name(),
                note.paragraphs().stream().map(p -> DynamicTest.dynamicTest(p.title(), () -> run(note, p)))));
    }

    private static void run(ZeppelinNote note, ZeppelinNote.Paragraph p) {
        String where = note.file().getFileName() + ", paragraph '" + p.title() + "'";
        switch (p.interpreter()) {
            case "spark" -> {
                ScalaRepl.Result r = repl.run(p.code());
                assertTrue(r.success(), where + " failed:\n" + r.output());
                assertTrue(p.chartColumns().isEmpty(), where + ": a Scala paragraph's chart settings cannot be checked here");
                if (note.name().equals(NOTE)) {
                    printed.put(p.title(), r.output());
                }
            }
            case "spark.sql" -> {
                Dataset<Row> result;
                try {
                    result = spark.sql(p.code());
                } catch (Exception e) {
                    throw new AssertionError(where + " failed: " + e.getMessage(), e);
                }
                List<Row> rows = result.collectAsList();
                assertFalse(rows.isEmpty(), where + " returned no row");
                String[] columns = result.columns();
                for (ZeppelinNote.ChartColumn c : p.chartColumns()) {
                    assertTrue(c.index() < columns.length && columns[c.index()].equals(c.name()),
                            where + ": its chart uses column '" + c.name() + "' at " + c.index() + ", the result has " + List.of(columns));
                }
                if (note.name().equals(NOTE)) {
                    returned.put(p.title(), rows);
                }
            }
            default -> fail(where + ": interpreter %" + p.interpreter() + " is not one the notes may use (%spark, %spark.sql)");
        }
    }

    @Test
    @Order(2)
    void theRunViewsHoldTheLatestRunFromTheFolderItsManifestNames() {
        Path latest = output.runs().get(output.runs().size() - 1);
        assertEquals(output.runs().size(), spark.table("dac_runs").count(), "runs with a manifest (the started run has none)");
        assertEquals(new HashSet<>(RunOutputs.table(spark, latest, "accuracy").collectAsList()),
                new HashSet<>(spark.table("dac_accuracy").collectAsList()));
        long all = output.runs().stream().mapToLong(run -> RunOutputs.table(spark, run, "metrics").count()).sum();
        assertEquals(all, spark.table("dac_metrics_all").count(), "every run's metrics, once");
    }

    @Test
    @Order(2)
    void theSweepViewHoldsTheSweepsMeanAndStdPerMethod() {
        List<Row> rows = returned.get("Sweep: Transfer, Average, Last per setting, method and configuration (mean ± std over its runs)");
        assertEquals(sweep.lines().size(), rows.size());
        for (SweepTable.Line l : sweep.lines()) {
            Row r = rows.stream().filter(x -> x.<String>getAs("method").equals(l.method())).findFirst().orElseThrow();
            assertEquals(2, r.<Integer>getAs("runs"), l.method());
            assertEquals(l.last().mean(), r.<Double>getAs("last"), 0.005, l.method() + " (rounded to 2 decimals)");
            assertEquals(l.last().std(), r.<Double>getAs("last_std"), 0.005, l.method());
        }
    }

    @Test
    @Order(3)
    void theHeatmapShowsEveryAccuracyOfTheRun() {
        String html = printed.get("Accuracy matrix of each method (heatmap)");
        assertTrue(html != null && html.startsWith("%html "), "the heatmap paragraph prints HTML: " + html);
        Path latest = output.runs().get(output.runs().size() - 1);
        for (Row a : RunOutputs.table(spark, latest, "accuracy").collectAsList()) {
            String cell = String.format(Locale.ROOT, "%.1f</td>", a.<Double>getAs("accuracy"));
            assertTrue(html.contains(cell), "no cell " + cell + " (" + a + ") in the heatmap");
        }
    }

    @Test
    @Order(4)
    void forgettingIsTheModelsDefinition() {
        List<Row> forgetting = returned.get("Forgetting: best accuracy after learning a dataset, minus the last");
        Path latest = output.runs().get(output.runs().size() - 1);
        List<Row> accuracy = RunOutputs.table(spark, latest, "accuracy").collectAsList();
        List<String> datasets = accuracy.stream().filter(a -> a.<Integer>getAs("after_task") == 0)
                .sorted((x, y) -> Integer.compare(x.getAs("dataset_index"), y.getAs("dataset_index")))
                .map(a -> a.<String>getAs("dataset")).distinct().toList();
        int checked = 0;
        for (Row f : forgetting) {
            String method = f.getAs("method");
            double[][] rows = new double[datasets.size() + 1][datasets.size()];
            accuracy.stream().filter(a -> a.getAs("method").equals(method))
                    .forEach(a -> rows[a.<Integer>getAs("after_task")][a.<Integer>getAs("dataset_index") - 1] = a.getAs("accuracy"));
            ContinualMetrics m = ContinualMetrics.of(datasets, rows, true);
            assertEquals(m.forgetting(f.<Integer>getAs("dataset_index")), f.<Double>getAs("forgetting"), 1e-9, f.toString());
            checked++;
        }
        assertEquals(accuracy.stream().map(a -> a.<String>getAs("method")).distinct().count() * (datasets.size() - 1), checked,
                "one forgetting row per method and dataset before the last");
    }
}
