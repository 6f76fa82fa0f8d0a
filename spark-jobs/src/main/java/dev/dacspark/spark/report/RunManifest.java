package dev.dacspark.spark.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's {@code _manifest.json}, the only file of a run that a reader trusts: the job writes it last, after every
 * committed task, and it names the results folder of that commit.
 *
 * @param runDir   the run folder (any Hadoop URI)
 * @param results  the results folder, resolved against the run folder
 * @param methods  per method (in the manifest's order), whether its accuracy matrix is complete
 */
public record RunManifest(Path runDir, String runId, String configSha256, String data, List<String> datasets, String started,
        String updated, boolean complete, Path results, Map<String, Boolean> methods) {

    public static final String FILE = "_manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the manifest of the run folder {@code runDir}. */
    public static RunManifest read(Path runDir, Configuration hadoop) {
        Path file = new Path(runDir, FILE);
        JsonNode m;
        try (InputStream in = file.getFileSystem(hadoop).open(file)) {
            m = JSON.readTree(in);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(file + " does not exist: " + runDir
                    + " is not a run folder, or its run has not committed a task yet", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (m == null || !m.isObject()) {
            throw new IllegalArgumentException(file + ": not a JSON object");
        }
        List<String> datasets = new ArrayList<>();
        for (JsonNode d : require(m, "datasets", file)) {
            datasets.add(d.asText());
        }
        Map<String, Boolean> methods = new LinkedHashMap<>();
        require(m, "methods", file).fields().forEachRemaining(e -> methods.put(e.getKey(),
                require(e.getValue(), "complete", file + " (methods." + e.getKey() + ")").asBoolean()));
        String results = require(m, "results", file).asText();
        return new RunManifest(runDir, require(m, "run_id", file).asText(), text(m, "config_sha256"), text(m, "data"),
                List.copyOf(datasets), text(m, "started"), text(m, "updated"), require(m, "complete", file).asBoolean(),
                new Path(runDir, results), methods);
    }

    private static JsonNode require(JsonNode node, String key, Object where) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + ": missing key '" + key + "'");
        }
        return v;
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
