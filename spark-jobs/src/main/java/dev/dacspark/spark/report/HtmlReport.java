package dev.dacspark.spark.report;

import dev.dacspark.spark.continual.RunManifest;
import dev.dacspark.eval.ContinualMetrics;
import org.jfree.chart.JFreeChart;
import org.jfree.data.category.DefaultCategoryDataset;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The self-contained HTML report of one run or of several (scheduled reruns): per run the Transfer / Average / Last
 * table, the accuracy matrix of each method as a heatmap and a table, per-task accuracy curves, forgetting, expert
 * usage and costs; with several runs, a comparison over time first. Charts are inline SVG, so the file needs nothing
 * else; every number a chart shows is also in a table.
 */
public final class HtmlReport {
    private final StringBuilder out = new StringBuilder(1 << 16);
    private int figures;

    private HtmlReport() {}

    /** The report of {@code runs} (at least one), as one HTML document. */
    public static String render(List<RunResults> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one run");
        }
        HtmlReport r = new HtmlReport();
        r.document(runs);
        return r.out.toString();
    }

    private void document(List<RunResults> runs) {
        List<RunResults> byStart = new ArrayList<>(runs);
        byStart.sort(Comparator.comparing(HtmlReport::startedAt));
        String title = runs.size() == 1 ? "DAC run " + runs.get(0).runId() : "DAC runs: " + runs.size() + " runs";
        head(title);
        out.append("<nav><ul>\n");
        if (runs.size() > 1) {
            out.append("<li><a href=\"#reruns\">Reruns over time</a></li>\n");
        }
        for (int i = 0; i < byStart.size(); i++) {
            out.append("<li><a href=\"#run-").append(i).append("\">").append(esc(byStart.get(i).runId())).append("</a> (")
                    .append(esc(byStart.get(i).manifest().started)).append(")</li>\n");
        }
        out.append("</ul></nav>\n");
        if (runs.size() > 1) {
            reruns(byStart);
        }
        for (int i = 0; i < byStart.size(); i++) {
            run(byStart.get(i), "run-" + i);
        }
        out.append("</body>\n</html>\n");
    }

    /** The document's start up to and with its heading. */
    private void head(String title) {
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title)).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        out.append("<h1>").append(esc(title)).append("</h1>\n");
    }

    /**
     * The page of a sweep: its runs (axis values, state, folder, error), then one table per (setting, method) of the
     * mean and standard deviation of Transfer / Average / Last over each configuration's runs, and a chart of the
     * Last means per method.
     */
    public static String sweep(SweepTable sweep) {
        HtmlReport r = new HtmlReport();
        r.head("DAC sweep " + sweep.sweepId());
        r.sweepBody(sweep);
        r.out.append("</body>\n</html>\n");
        return r.out.toString();
    }

    private void sweepBody(SweepTable sweep) {
        List<String> axes = sweep.runs().isEmpty() ? List.of() : List.copyOf(sweep.runs().get(0).axes().keySet());
        out.append("<section id=\"runs\">\n<h2>Runs</h2>\n");
        List<String> header = new ArrayList<>(List.of("Run"));
        header.addAll(axes);
        header.addAll(List.of("State", "Run folder", "Error"));
        table("sweep-runs", Map.of("data-sweep", sweep.sweepId()), header, rows -> {
            for (SweepTable.RunRow run : sweep.runs()) {
                List<String> row = new ArrayList<>(List.of(run.id()));
                axes.forEach(a -> row.add(run.axes().get(a)));
                row.addAll(List.of(run.state(), run.runDir(), run.error() == null ? "" : run.error()));
                rows.add(row);
            }
        });
        out.append("</section>\n");
        for (Map.Entry<String, List<SweepTable.Line>> t : sweep.tables().entrySet()) {
            SweepTable.Line first = t.getValue().get(0);
            out.append("<section class=\"sweep-table\">\n<h2>").append(esc(first.setting())).append(": ").append(esc(first.method()))
                    .append("</h2>\n");
            table("sweep-results", Map.of("data-setting", first.setting(), "data-method", first.method()),
                    List.of("Configuration", "Runs", "Transfer", "Average", "Last"), rows -> {
                        for (SweepTable.Line l : t.getValue()) {
                            rows.add(List.of(l.configuration(), Integer.toString(l.runIds().size()), meanStd(l.transfer()),
                                    meanStd(l.average()), meanStd(l.last())));
                        }
                    });
            out.append("</section>\n");
        }
        DefaultCategoryDataset last = new DefaultCategoryDataset();
        sweep.lines().stream().filter(l -> l.last().mean() != null)
                .forEach(l -> last.addValue(l.last().mean(), l.setting() + " " + l.method(), l.configuration()));
        if (last.getRowCount() > 0) {
            figure("sweep-chart", Map.of(), Charts.lines("Last per configuration (mean over replicates)", "configuration", "Last (%)",
                    last), 720, 340, "Mean Last of each setting and method, configuration by configuration.");
        }
    }

    /** "mean ± std" (the std left out with one run). */
    private static String meanStd(SweepTable.Stat s) {
        return s.std() == null ? num(s.mean()) : num(s.mean()) + " ± " + num(s.std());
    }

    private void reruns(List<RunResults> runs) {
        out.append("<section id=\"reruns\" class=\"reruns\">\n<h2>Reruns over time</h2>\n");
        out.append("<p>Transfer, Average and Last of every method over the datasets, run by run (oldest first).</p>\n");
        table("reruns", Map.of(), List.of("Run", "Started", "Complete", "Method", "Transfer", "Average", "Last"), rows -> {
            for (RunResults run : runs) {
                for (String method : run.methods()) {
                    RunResults.Metric m = run.metric(method, RunResults.ALL);
                    if (m != null) {
                        rows.add(List.of(run.runId(), run.manifest().started, Boolean.toString(run.manifest().complete), method,
                                num(m.transfer()), num(m.average()), num(m.last())));
                    }
                }
            }
        });
        for (String metric : List.of("Last", "Average", "Transfer")) {
            DefaultCategoryDataset data = new DefaultCategoryDataset();
            for (RunResults run : runs) {
                for (String method : run.methods()) {
                    RunResults.Metric m = run.metric(method, RunResults.ALL);
                    Double v = m == null ? null : switch (metric) {
                        case "Last" -> m.last();
                        case "Average" -> m.average();
                        default -> m.transfer();
                    };
                    if (v != null) {
                        data.addValue(v, method, run.runId());
                    }
                }
            }
            figure("rerun-chart", Map.of("data-metric", metric),
                    Charts.lines(metric + " per run", "run", metric + " (%)", data), 720, 340, metric + " of each method, run by run.");
        }
        out.append("</section>\n");
    }

    private void run(RunResults run, String anchor) {
        RunManifest m = run.manifest();
        Map<String, String> data = Map.of("data-run", run.runId());
        out.append("<section id=\"").append(anchor).append("\" class=\"run\" data-run=\"").append(esc(run.runId())).append("\">\n");
        out.append("<h2>Run ").append(esc(run.runId())).append("</h2>\n");
        table("run-info", data, List.of("Field", "Value"), rows -> {
            rows.add(List.of("started", m.started));
            rows.add(List.of("updated", m.updated));
            rows.add(List.of("complete", Boolean.toString(m.complete)));
            rows.add(List.of("datasets", String.join(", ", m.datasets)));
            rows.add(List.of("methods", String.join(", ", run.methods())));
            rows.add(List.of("results", run.resultsDir()));
            rows.add(List.of("data", m.data));
            rows.add(List.of("config sha256", m.configSha256));
        });
        metrics(run, data);
        matrices(run);
        curves(run);
        forgetting(run, data);
        experts(run);
        costs(run, data);
        out.append("</section>\n");
    }

    private void metrics(RunResults run, Map<String, String> data) {
        out.append("<h3>Transfer, Average, Last</h3>\n<p>In percent, over the datasets, for each method whose accuracy matrix is "
                + "complete (zero-shot is the baseline). Transfer: accuracy on datasets not learned yet; Average: over every "
                + "evaluation after learning; Last: after the last task; Forgetting: best accuracy after learning a dataset minus "
                + "the last.</p>\n");
        table("metrics", data, List.of("Method", "Transfer", "Average", "Last", "Forgetting"), rows -> {
            for (String method : run.methods()) {
                RunResults.Metric all = run.metric(method, RunResults.ALL);
                ContinualMetrics cm = run.continualMetrics(method);
                if (all == null) {
                    rows.add(List.of(method, "incomplete", "", "", ""));
                } else {
                    rows.add(List.of(method, num(all.transfer()), num(all.average()), num(all.last()),
                            cm != null && cm.tasks() >= 2 ? num(cm.forgetting()) : "–"));
                }
            }
        });
        table("metrics-per-dataset", data, List.of("Method", "Dataset", "Transfer", "Average", "Last", "Forgetting"), rows -> {
            for (String method : run.methods()) {
                ContinualMetrics cm = run.continualMetrics(method);
                for (int j = 1; j <= run.datasets().size(); j++) {
                    RunResults.Metric d = run.metric(method, run.datasets().get(j - 1));
                    if (d != null) {
                        rows.add(List.of(method, d.dataset(), num(d.transfer()), num(d.average()), num(d.last()),
                                cm != null && j < cm.tasks() ? num(cm.forgetting(j)) : "–"));
                    }
                }
            }
        });
    }

    private void matrices(RunResults run) {
        out.append("<h3>Accuracy matrices</h3>\n<p>Accuracy (%) on each dataset (column) after each task (row); row 0 is the "
                + "zero-shot model.</p>\n");
        List<String> rowLabels = new ArrayList<>();
        rowLabels.add("0 zero-shot");
        for (int i = 1; i <= run.datasets().size(); i++) {
            rowLabels.add(i + " " + run.datasets().get(i - 1));
        }
        for (String method : run.methods()) {
            double[][] matrix = run.matrix(method);
            Map<String, String> attrs = Map.of("data-run", run.runId(), "data-method", method);
            int width = 220 + 95 * run.datasets().size();
            int height = 120 + 30 * rowLabels.size();
            figure("heatmap", attrs, Charts.heatmap(method + ": accuracy matrix", rowLabels, "after task", run.datasets(), "dataset",
                    matrix, 0, 100, "accuracy (%)", "%.1f"), width, height, method + ": accuracy (%) after each task.");
            List<String> header = new ArrayList<>();
            header.add("After task");
            header.addAll(run.datasets());
            table("accuracy", attrs, header, rows -> {
                for (int i = 0; i < matrix.length; i++) {
                    List<String> row = new ArrayList<>();
                    row.add(rowLabels.get(i));
                    for (double v : matrix[i]) {
                        row.add(Double.isNaN(v) ? "" : num(v));
                    }
                    rows.add(row);
                }
            });
        }
    }

    private void curves(RunResults run) {
        out.append("<h3>Accuracy per task</h3>\n<p>Each dataset's accuracy as the tasks go by: a line that rises when its task "
                + "is learned and stays up shows no forgetting.</p>\n");
        for (String method : run.methods()) {
            double[][] matrix = run.matrix(method);
            DefaultCategoryDataset data = new DefaultCategoryDataset();
            for (int i = 0; i < matrix.length; i++) {
                String after = i == 0 ? "0 zero-shot" : i + " " + run.datasets().get(i - 1);
                for (int j = 0; j < run.datasets().size(); j++) {
                    if (!Double.isNaN(matrix[i][j])) {
                        data.addValue(matrix[i][j], run.datasets().get(j), after);
                    }
                }
            }
            figure("curves", Map.of("data-run", run.runId(), "data-method", method),
                    Charts.lines(method + ": accuracy per dataset after each task", "after task", "accuracy (%)", data), 720, 360,
                    method + ": accuracy per dataset after each task.");
        }
    }

    private void forgetting(RunResults run, Map<String, String> data) {
        int n = run.datasets().size();
        if (n < 2) {
            return;
        }
        out.append("<h3>Forgetting</h3>\n<p>Per dataset learned before the last task: its best accuracy after it was learned, "
                + "minus its accuracy at the end (percentage points; lower is better).</p>\n");
        DefaultCategoryDataset chart = new DefaultCategoryDataset();
        for (String method : run.methods()) {
            ContinualMetrics cm = run.continualMetrics(method);
            if (cm != null) {
                for (int j = 1; j < n; j++) {
                    chart.addValue(cm.forgetting(j), method, run.datasets().get(j - 1));
                }
            }
        }
        figure("forgetting", data, Charts.bars("Forgetting per dataset", "dataset", "forgetting (points)", chart), 720, 340,
                "Forgetting per dataset and method (complete methods only).");
    }

    private void experts(RunResults run) {
        List<String> methods = run.methods().stream().filter(m -> !run.experts(m).isEmpty()).toList();
        if (methods.isEmpty()) {
            return;
        }
        out.append("<h3>Expert usage</h3>\n<p>Routers' votes per rank-1 expert over each task (summed over the LoRA modules), "
                + "and per module and task the share of its votes that went to the experts merged after the task.</p>\n");
        for (String method : methods) {
            List<RunResults.Expert> experts = run.experts(method);
            Map<String, String> attrs = Map.of("data-run", run.runId(), "data-method", method);
            Map<Integer, String> tasks = new TreeMap<>();
            experts.forEach(e -> tasks.put(e.taskIndex(), e.taskIndex() + " " + e.task()));
            DefaultCategoryDataset votes = new DefaultCategoryDataset();
            Map<Integer, Map<Integer, Double>> byTaskExpert = new TreeMap<>();
            for (RunResults.Expert e : experts) {
                byTaskExpert.computeIfAbsent(e.taskIndex(), t -> new TreeMap<>()).merge(e.expert(), e.count(), Double::sum);
            }
            byTaskExpert.forEach((t, perExpert) -> perExpert.forEach((e, c) -> votes.addValue(c, tasks.get(t), Integer.valueOf(e))));
            figure("expert-votes", attrs, Charts.bars(method + ": votes per expert", "expert", "votes (all modules)", votes), 760, 340,
                    method + ": votes per expert index, summed over modules, per task.");

            List<String> modules = new ArrayList<>(new TreeSet<>(experts.stream().map(RunResults.Expert::module).toList()));
            List<Integer> taskIndices = new ArrayList<>(tasks.keySet());
            double[][] share = new double[modules.size()][taskIndices.size()];
            double[][] total = new double[modules.size()][taskIndices.size()];
            for (RunResults.Expert e : experts) {
                int r = modules.indexOf(e.module());
                int c = taskIndices.indexOf(e.taskIndex());
                total[r][c] += e.count();
                if (e.merged()) {
                    share[r][c] += e.count();
                }
            }
            for (int r = 0; r < modules.size(); r++) {
                for (int c = 0; c < taskIndices.size(); c++) {
                    share[r][c] = total[r][c] > 0 ? 100 * share[r][c] / total[r][c] : Double.NaN;
                }
            }
            int height = 140 + Math.max(10, Math.min(28, 900 / modules.size())) * modules.size();
            figure("expert-share", attrs, Charts.heatmap(method + ": votes on the merged experts", modules, "module",
                    new ArrayList<>(tasks.values()), "task", share, 0, 100, "share of votes (%)", modules.size() <= 24 ? "%.0f" : null),
                    380 + 110 * taskIndices.size(), height, method + ": share (%) of each module's votes that went to its merged experts.");

            table("expert-summary", attrs, List.of("Task", "Modules", "Votes", "Experts merged (distinct)", "Merged per module",
                    "Share of votes on merged (%)"), rows -> {
                        for (int c = 0; c < taskIndices.size(); c++) {
                            int t = taskIndices.get(c);
                            List<RunResults.Expert> inTask = experts.stream().filter(e -> e.taskIndex() == t).toList();
                            double votesInTask = inTask.stream().mapToDouble(RunResults.Expert::count).sum();
                            double merged = inTask.stream().filter(RunResults.Expert::merged).mapToDouble(RunResults.Expert::count).sum();
                            long distinct = inTask.stream().filter(RunResults.Expert::merged).map(RunResults.Expert::expert).distinct().count();
                            long perModule = inTask.stream().filter(RunResults.Expert::merged).count() / Math.max(1, modules.size());
                            rows.add(List.of(tasks.get(t), Integer.toString(modules.size()), num(votesInTask, "%.0f"),
                                    Long.toString(distinct), Long.toString(perModule), num(votesInTask > 0 ? 100 * merged / votesInTask : Double.NaN)));
                        }
                    });
        }
    }

    private void costs(RunResults run, Map<String, String> data) {
        out.append("<h3>Costs</h3>\n<p>Per task: training and evaluation time, peak resident memory of a worker, trainable "
                + "parameters and the last training losses.</p>\n");
        DefaultCategoryDataset train = new DefaultCategoryDataset();
        DefaultCategoryDataset memory = new DefaultCategoryDataset();
        for (String method : run.methods()) {
            for (RunResults.TaskCost c : run.costs(method)) {
                String task = c.taskIndex() + " " + c.task();
                train.addValue(c.trainSeconds(), method, task);
                memory.addValue(c.peakRssMb(), method, task);
            }
        }
        figure("cost-time", data, Charts.bars("Training time per task", "task", "seconds", train), 720, 320,
                "Training time per task and method.");
        figure("cost-memory", data, Charts.bars("Peak memory per task", "task", "peak RSS (MB)", memory), 720, 320,
                "Peak resident memory per task and method.");
        table("costs", data, List.of("Method", "Task", "Train (s)", "Eval (s)", "Iterations", "Workers", "Batch per rank",
                "Trainable parameters", "Peak RSS (MB)", "Loss", "CLIP loss", "AGO loss"), rows -> {
                    for (String method : run.methods()) {
                        for (RunResults.TaskCost c : run.costs(method)) {
                            rows.add(List.of(method, c.taskIndex() + " " + c.task(), num(c.trainSeconds()), num(c.evalSeconds()),
                                    Integer.toString(c.iterations()), Integer.toString(c.workers()), Integer.toString(c.batchPerRank()),
                                    String.format(Locale.ROOT, "%,d", c.trainableParameters()), num(c.peakRssMb(), "%.0f"),
                                    num(c.loss(), "%.4f"), num(c.clipLoss(), "%.4f"), num(c.agoLoss(), "%.4f")));
                        }
                    }
                });
    }

    private void figure(String kind, Map<String, String> attrs, JFreeChart chart, int width, int height, String caption) {
        String id = "fig" + (++figures);
        out.append("<figure class=\"").append(kind).append("\"").append(attributes(attrs)).append(">\n")
                .append(Charts.svg(chart, width, height, id)).append("\n<figcaption>").append(esc(caption)).append("</figcaption>\n</figure>\n");
    }

    private interface Rows {
        void fill(List<List<String>> rows);
    }

    private void table(String kind, Map<String, String> attrs, List<String> header, Rows body) {
        List<List<String>> rows = new ArrayList<>();
        body.fill(rows);
        out.append("<table class=\"").append(kind).append("\"").append(attributes(attrs)).append(">\n<thead><tr>");
        header.forEach(h -> out.append("<th>").append(esc(h)).append("</th>"));
        out.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            out.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                String cell = i == 0 ? "th scope=\"row\"" : "td";
                out.append('<').append(cell).append('>').append(esc(row.get(i))).append("</").append(i == 0 ? "th" : "td").append('>');
            }
            out.append("</tr>\n");
        }
        out.append("</tbody>\n</table>\n");
    }

    private static String attributes(Map<String, String> attrs) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(attrs).forEach((k, v) -> b.append(' ').append(k).append("=\"").append(esc(v)).append('"'));
        return b.toString();
    }

    /** A figure in the tables: two decimals, "–" for none. */
    private static String num(Double v) {
        return num(v, "%.2f");
    }

    private static String num(Double v, String format) {
        return v == null || Double.isNaN(v) ? "–" : String.format(Locale.ROOT, format, v);
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static Instant startedAt(RunResults run) {
        try {
            return Instant.parse(run.manifest().started);
        } catch (DateTimeParseException e) {
            return Instant.MAX; // unknown start: last
        }
    }

    private static final String CSS = """
            body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
            table { border-collapse: collapse; margin: .8em 0 1.4em; font-size: 14px; }
            th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
            thead th, tbody th { text-align: left; background: #f6f6f6; }
            table.run-info td { text-align: left; }
            figure { margin: 1em 0; }
            figure svg { max-width: 100%; height: auto; }
            figcaption { font-size: 13px; color: #555; }
            """;
}
