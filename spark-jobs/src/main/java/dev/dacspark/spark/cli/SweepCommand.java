package dev.dacspark.spark.cli;

import dev.dacspark.spark.report.SweepTable;
import dev.dacspark.spark.sweep.SweepConfig;
import dev.dacspark.spark.sweep.SweepJob;
import dev.dacspark.spark.sweep.SweepManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dac sweep --config FILE}: the runs of a sweep ({@code dac.sweep}) side by side on one cluster (spark-submit's,
 * or an embedded one); exit status 1 when a run failed.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run (or resume) a sweep: a base run config times axes of config values, its runs concurrently (Spark).")
public final class SweepCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Sweep config (HOCON: dac.* and dac.sweep).")
    Path config;

    @Mixin
    ClusterMaster cluster;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SweepConfig sweep = SweepConfig.load(config);
        try (LocalSpark.Session session = LocalSpark.session("dac-spark sweep " + sweep.id(), cluster.master)) {
            SweepJob.Outcome outcome = new SweepJob(session.spark(), sweep).run();
            print(spec.commandLine().getOut(), sweep, outcome);
            return outcome.manifest().complete ? 0 : 1;
        }
    }

    /** Each run's state and folder, then the results tables (mean ± std over replicates), and where they are. */
    static void print(PrintWriter out, SweepConfig sweep, SweepJob.Outcome outcome) {
        SweepManifest manifest = outcome.manifest();
        out.println();
        out.println("sweep " + sweep.id() + ": " + manifest.runs.size() + " runs");
        for (SweepManifest.RunEntry r : manifest.runs) {
            out.printf(Locale.ROOT, "  %-40s %-7s %s%s%n", r.id, r.state.name().toLowerCase(Locale.ROOT), r.runDir,
                    r.error == null ? "" : "  (" + r.error + ")");
        }
        outcome.table().tables().forEach((name, lines) -> {
            out.println();
            out.println(name + " (mean ± std over runs):");
            out.printf(Locale.ROOT, "  %-36s %4s %16s %16s %16s%n", "configuration", "runs", "Transfer", "Average", "Last");
            lines.forEach(l -> out.printf(Locale.ROOT, "  %-36s %4d %16s %16s %16s%n", l.configuration(), l.runIds().size(),
                    text(l.transfer()), text(l.average()), text(l.last())));
        });
        out.println();
        out.println("manifest: " + sweep.dir() + "/" + SweepManifest.FILE);
        out.println("results: " + sweep.dir() + "/" + SweepTable.JSON_FILE + ", " + SweepTable.PARQUET + ", " + SweepJob.PAGE);
        out.flush();
    }

    private static String text(SweepTable.Stat s) {
        if (s.mean() == null) {
            return "-";
        }
        return s.std() == null ? String.format(Locale.ROOT, "%.2f", s.mean()) : String.format(Locale.ROOT, "%.2f ± %.2f", s.mean(), s.std());
    }
}
