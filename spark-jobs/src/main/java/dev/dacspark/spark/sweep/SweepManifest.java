package dev.dacspark.spark.sweep;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code <dac.output>/<sweep-id>/_sweep.json}: every run of the sweep with its axis values, state, run folder,
 * starts and error, rewritten whole (readers see the old file or the new one) whenever a run changes state, and
 * last of all once the sweep's results tables are written. A reader needs nothing else to find a run's results:
 * the run folder's own {@code _manifest.json} lists them. Snake-case JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class SweepManifest {
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    public static final String FILE = "_sweep.json";

    /** What a run is doing: waiting for a slot, training, complete, or failed (after its last start). */
    public enum State { QUEUED, RUNNING, DONE, FAILED }

    /** One run's entry. {@code starts}: the starts of this sweep start (0: done in an earlier one, or refused config). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class RunEntry {
        public String id;
        public Map<String, String> axes;
        public State state;
        public String runDir;
        public int starts;
        public String error;
        public String finished;
    }

    public String sweepId;
    public String started;
    public String updated;
    /** True once every run is done and the results tables are written. */
    public boolean complete;
    /** The results tables (relative to the sweep folder), once written: JSON, Parquet, the HTML page. */
    public List<String> results;
    public List<RunEntry> runs = new ArrayList<>();

    /** The manifest of a sweep start: every run queued, or failed when its config is refused. */
    static SweepManifest start(SweepConfig sweep) {
        SweepManifest m = new SweepManifest();
        m.sweepId = sweep.id();
        m.started = Instant.now().toString();
        for (SweepConfig.Run run : sweep.runs()) {
            RunEntry e = new RunEntry();
            e.id = run.id();
            e.axes = run.axes();
            e.runDir = sweep.dir() + "/" + run.id();
            e.state = run.job() == null ? State.FAILED : State.QUEUED;
            e.error = run.error();
            m.runs.add(e);
        }
        return m;
    }

    RunEntry run(String id) {
        return runs.stream().filter(r -> r.id.equals(id)).findFirst().orElseThrow();
    }

    /** Writes the manifest over the sweep folder's (atomically where the filesystem can). */
    synchronized void publish(String sweepDir, Configuration hadoop) {
        updated = Instant.now().toString();
        try {
            Storage.publish(sweepDir + "/" + FILE, JSON.writeValueAsBytes(this), hadoop);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The manifest of the sweep folder {@code sweepDir}, with a clear error when it has none. */
    public static SweepManifest read(String sweepDir, Configuration hadoop) {
        com.fasterxml.jackson.databind.JsonNode json = Storage.readJson(sweepDir + "/" + FILE, hadoop);
        if (json == null) {
            throw new IllegalArgumentException(sweepDir + "/" + FILE + " does not exist: " + sweepDir + " is not a sweep folder");
        }
        return JSON.convertValue(json, SweepManifest.class);
    }
}
