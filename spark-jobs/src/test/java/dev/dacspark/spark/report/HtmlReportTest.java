package dev.dacspark.spark.report;

import dev.dacspark.spark.cli.DacSparkCli;
import dev.dacspark.testing.Chromium;
import dev.dacspark.testing.Reruns;
import dev.dacspark.testing.RunOutputs;
import dev.dacspark.testing.SparkSessions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code dac report} over the two runs of one output root, opened in headless Chromium: the DOM that Chromium builds holds,
 * for each run, the metric table with the Transfer / Average / Last the run wrote and, per method, the heatmap of its
 * accuracy matrix labelled with the run's accuracies; then the reruns compared oldest first. Expected numbers come
 * from the runs' output, read through each manifest with Spark.
 */
class HtmlReportTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static List<Path> runs;
    static Path started;
    static Map<Path, List<Row>> accuracy = new HashMap<>();
    static Map<Path, List<Row>> summary = new HashMap<>();
    static Document dom;

    @BeforeAll
    static void reportOfTwoRunsOpenedInChromium() throws Exception {
        spark = SparkSessions.local(Map.of());
        Reruns.Output output = Reruns.get(spark);
        runs = output.runs();
        started = output.started();
        Path html = dir.resolve("report/runs.html");
        // the newer run first, as a plain path; the older as a URI: the report orders them by start
        CliRun r = cli("report", "--run", runs.get(1).toString(), "--run", runs.get(0).toUri().toString(), "--out", html.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("report of 2 run(s)"), r.out());
        dom = Jsoup.parse(Chromium.dumpDom(html, dir));
        for (Path run : runs) {
            accuracy.put(run, RunOutputs.table(spark, run, "accuracy").collectAsList());
            summary.put(run, RunOutputs.table(spark, run, "metrics").where("dataset = 'all'").collectAsList());
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void metricTableHoldsEachMethodsTransferAverageLast() {
        for (Path run : runs) {
            List<Row> expected = summary.get(run);
            assertFalse(expected.isEmpty(), run + " has no summary metrics");
            Element table = only(dom.select("table.metrics"), runId(run));
            for (Row m : expected) {
                List<String> cells = row(table, m.getAs("method"));
                assertEquals(List.of(fmt2(m.getAs("transfer")), fmt2(m.getAs("average")), fmt2(m.getAs("last"))), cells.subList(0, 3),
                        runId(run) + " " + m.getAs("method"));
            }
        }
    }

    @Test
    void heatmapOfEachMethodShowsItsAccuracyMatrix() {
        for (Path run : runs) {
            Set<String> methods = accuracy.get(run).stream().map(a -> a.<String>getAs("method")).collect(Collectors.toSet());
            assertTrue(methods.size() >= 2, "methods " + methods);
            for (String method : methods) {
                List<Row> rows = accuracy.get(run).stream().filter(a -> a.getAs("method").equals(method)).toList();
                Element figure = only(dom.select("figure.heatmap").stream().filter(f -> f.attr("data-method").equals(method)).toList(),
                        runId(run));
                Element svg = figure.selectFirst("svg");
                assertNotNull(svg, "no svg in the heatmap of " + method);
                List<String> labels = svg.select("text").eachText();
                Element table = only(dom.select("table.accuracy").stream().filter(t -> t.attr("data-method").equals(method)).toList(),
                        runId(run));
                List<Element> bodyRows = table.select("tbody tr");
                for (Row a : rows) {
                    double v = a.getAs("accuracy");
                    assertTrue(labels.contains(String.format(Locale.ROOT, "%.1f", v)),
                            method + ": no cell labelled " + v + " in the heatmap of " + runId(run) + "; labels " + labels);
                    int i = a.getAs("after_task");
                    int j = a.getAs("dataset_index");
                    assertEquals(fmt2(v), bodyRows.get(i).select("td").get(j - 1).text(), method + " after " + i + " on " + j);
                }
                // one coloured block per cell of the matrix
                assertTrue(svg.select("rect").size() >= rows.size(), "heatmap of " + method + " has too few cells");
            }
        }
    }

    @Test
    void rerunsAreComparedOldestFirst() {
        Element table = dom.selectFirst("table.reruns");
        assertNotNull(table, "no reruns table");
        List<String> order = new ArrayList<>();
        for (Element tr : table.select("tbody tr")) {
            String run = tr.selectFirst("th").text();
            if (order.isEmpty() || !order.get(order.size() - 1).equals(run)) {
                order.add(run);
            }
        }
        assertEquals(List.of(runId(runs.get(0)), runId(runs.get(1))), order);
        for (Path run : runs) {
            for (Row m : summary.get(run)) {
                boolean found = table.select("tbody tr").stream().anyMatch(tr -> tr.selectFirst("th").text().equals(runId(run))
                        && tr.select("td").get(2).text().equals(m.getAs("method"))
                        && tr.select("td").get(5).text().equals(fmt2(m.getAs("last"))));
                assertTrue(found, "no rerun row for " + runId(run) + " " + m.getAs("method"));
            }
        }
        assertEquals(3, dom.select("figure.rerun-chart svg").size());
    }

    @Test
    void aFolderWithoutManifestIsAClearError() throws Exception {
        CliRun r = cli("report", "--run", started.toString(), "--out", dir.resolve("none.html").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("_manifest.json does not exist"), r.err());
        assertFalse(Files.exists(dir.resolve("none.html")));
    }

    @Test
    void anUnwritableOutSaysWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliRun r = cli("report", "--run", runs.get(0).toString(), "--out", file.resolve("report.html").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot write the report: " + file + " is a file, not a folder"), r.err());
    }

    private record CliRun(int code, String out, String err) {}

    private static CliRun cli(String... args) {
        CommandLine cl = DacSparkCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    private static String runId(Path run) {
        return RunOutputs.runId(run);
    }

    private static Element only(List<Element> candidates, String runId) {
        List<Element> of = candidates.stream().filter(e -> runId.equals(e.attr("data-run"))).toList();
        assertEquals(1, of.size(), "elements of run " + runId);
        return of.get(0);
    }

    /** The td cells of the row whose header cell is {@code key}. */
    private static List<String> row(Element table, String key) {
        for (Element tr : table.select("tbody tr")) {
            Element th = tr.selectFirst("th");
            if (th != null && th.text().equals(key)) {
                return tr.select("td").eachText();
            }
        }
        throw new AssertionError("no row " + key + " in " + table.outerHtml());
    }

    private static String fmt2(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }
}
