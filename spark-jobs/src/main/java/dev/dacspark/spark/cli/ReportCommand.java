package dev.dacspark.spark.cli;

import dev.dacspark.spark.report.HtmlReport;
import dev.dacspark.spark.storage.PermanentIoFailure;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.spark.report.RunResults;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code dac report --run URI [--run URI ...] --out FILE.html}: the HTML report of runs, read through their manifests
 * with the Hadoop FileSystem API (no Spark job). Hadoop settings (e.g. s3a endpoints and credentials providers) come
 * from {@code spark.hadoop.*} system properties, as under spark-submit's {@code --conf}, and Hadoop's own
 * configuration files.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a self-contained HTML report of one or more runs (several: compared over time).")
public final class ReportCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, paramLabel = "URI",
            description = "A run folder, <dac.output>/<run-id> (a local path or any Hadoop URI: file://, s3a://, hdfs://); repeat for several runs.")
    List<String> runs;

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "The HTML file to write.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        int count = write(runs.stream().map(r -> Storage.location(null, r)).toList(), out, hadoopConfiguration());
        spec.commandLine().getOut().println("report of " + count + " run(s): " + out.toAbsolutePath());
        return 0;
    }

    /** Writes the report of runs (URIs) to a file; returns how many runs it shows. */
    static int write(List<String> runUris, Path out, Configuration hadoop) {
        List<RunResults> results = runUris.stream().map(r -> RunResults.read(r, hadoop)).toList();
        Path parent = out.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IllegalArgumentException("--out " + out + ": cannot write the report: " + p + " is a file, not a folder");
            }
        }
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, HtmlReport.render(results), StandardCharsets.UTF_8);
        } catch (IOException e) { // java.nio's messages are the bare path: say what failed
            throw PermanentIoFailure.of("--out " + out + ": cannot write the report (" + e.getClass().getSimpleName() + ")", e);
        }
        return results.size();
    }

    /** Hadoop's configuration plus every {@code spark.hadoop.KEY} system property as KEY, as Spark does. */
    static Configuration hadoopConfiguration() {
        Configuration conf = new Configuration();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
                .forEach(k -> conf.set(k.substring("spark.hadoop.".length()), System.getProperty(k)));
        return conf;
    }
}
