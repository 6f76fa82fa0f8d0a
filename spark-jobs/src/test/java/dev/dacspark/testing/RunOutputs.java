package dev.dacspark.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * What tests expect of a run's output, read as the contract says a reader must: through the run's _manifest.json to
 * the results folder it names, then the results tables with Spark.
 */
public final class RunOutputs {
    private RunOutputs() {}

    /** The results folder that the run's manifest names. */
    public static Path resultsDir(Path runDir) {
        return runDir.resolve(manifest(runDir, "results"));
    }

    /** The run id that the run's manifest gives. */
    public static String runId(Path runDir) {
        return manifest(runDir, "run_id");
    }

    private static String manifest(Path runDir, String key) {
        try {
            return new ObjectMapper().readTree(runDir.resolve("_manifest.json").toFile()).get(key).asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A results table of the run ({@code accuracy}, {@code metrics}, {@code experts}, {@code tasks}). */
    public static Dataset<Row> table(SparkSession spark, Path runDir, String name) {
        return spark.read().parquet(resultsDir(runDir).resolve(name + ".parquet").toUri().toString());
    }
}
