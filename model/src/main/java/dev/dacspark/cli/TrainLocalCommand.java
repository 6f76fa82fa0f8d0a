package dev.dacspark.cli;

import ai.djl.ndarray.NDManager;
import dev.dacspark.data.ImageFolderTask;
import dev.dacspark.data.TaskData;
import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.train.ContinualLearner;
import dev.dacspark.train.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dac train-local --config FILE}: the continual loop in one process on image folders. */
@Command(name = "train-local", mixinStandardHelpOptions = true,
        description = "Run the continual-learning loop in this process on tasks in image folders (no Spark).")
public final class TrainLocalCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Run config (HOCON).")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RunConfig run = RunConfig.load(config);
        run.checkTaskLr(run.tasks().stream().map(RunConfig.TaskSpec::name).toList(), "dac.tasks");
        List<TaskData> tasks = run.tasks().stream()
                .<TaskData>map(t -> new ImageFolderTask(t.name(), t.root(), t.templates(), t.classNames())).toList();
        Map<String, ContinualMetrics> results;
        try (NDManager manager = NDManager.newBaseManager()) {
            results = new ContinualLearner(run, manager).run(tasks);
        }
        print(spec.commandLine().getOut(), results);
        spec.commandLine().getOut().println("results: " + run.output().toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * The accuracy matrix of each method with its {@code Transfer: x}, {@code Average: x} and
     * {@code Last: x} lines, then one table of every method. Every command that ends a run prints this.
     */
    public static void print(PrintWriter out, Map<String, ContinualMetrics> results) {
        results.forEach((method, m) -> {
            out.println();
            out.println(method + ": accuracy (%), rows: zero-shot, then after each task; columns: " + String.join(", ", m.datasets()));
            printRow(out, "zero-shot", m.zeroShotRow());
            for (int i = 1; i <= m.tasks(); i++) {
                double[] row = new double[m.tasks()];
                for (int j = 1; j <= m.tasks(); j++) {
                    row[j - 1] = m.acc(i, j);
                }
                printRow(out, "after " + i, row);
            }
            if (m.tasks() >= 2) {
                out.printf(Locale.ROOT, "Transfer: %.2f%n", m.transfer());
            }
            out.printf(Locale.ROOT, "Average: %.2f%n", m.average());
            out.printf(Locale.ROOT, "Last: %.2f%n", m.last());
        });
        out.println();
        out.printf(Locale.ROOT, "%-12s %9s %9s %9s%n", "method", "Transfer", "Average", "Last");
        results.forEach((method, m) -> out.printf(Locale.ROOT, "%-12s %9s %9.2f %9.2f%n", method,
                m.tasks() >= 2 ? String.format(Locale.ROOT, "%.2f", m.transfer()) : "-", m.average(), m.last()));
    }

    private static void printRow(PrintWriter out, String label, double[] row) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-10s", label));
        for (double v : row) {
            sb.append(String.format(Locale.ROOT, " %6.2f", v));
        }
        out.println(sb);
    }
}
