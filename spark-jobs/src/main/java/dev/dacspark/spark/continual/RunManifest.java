package dev.dacspark.spark.continual;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.dacspark.eval.ContinualMetrics;
import dev.dacspark.eval.EvalSetting;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's {@code _manifest.json}: what is committed. It is written last after each task's files, and
 * a reader trusts only what it lists (paths relative to the run folder). Snake-case JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class RunManifest {
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public String runId;
    public String configSha256;
    public String data;
    /** Task name -> the prepared data's identity ({@link PreparedStream.Task#dataSha256}) the run trains on. */
    public Map<String, String> dataSha256 = new LinkedHashMap<>();
    public List<String> datasets = new ArrayList<>();
    public String started;
    public String updated;
    public boolean complete;
    /** The current results folder (Parquet tables and results.json). */
    public String results;
    public Map<String, MethodState> methods = new LinkedHashMap<>();

    /**
     * One method's committed tasks. Each evaluation setting has its own rows: {@code zero_shot} and each task's
     * {@code accuracy} are MTIL's, {@code x_tail_zero_shot} and each task's {@code x_tail} are X-TAIL's (absent
     * when the run does not evaluate that setting).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class MethodState {
        public boolean complete;
        public List<Double> zeroShot;
        public List<Double> xTailZeroShot;
        public List<TaskEntry> tasks = new ArrayList<>();

        /** The zero-shot row of a setting; null when it was not evaluated in that setting. */
        public List<Double> zeroShot(EvalSetting setting) {
            return switch (setting) {
                case MTIL -> zeroShot;
                case X_TAIL -> xTailZeroShot;
            };
        }

        /** The zero-shot rows of {@code settings}; null unless each of them was evaluated. */
        public Map<EvalSetting, List<Double>> zeroShot(List<EvalSetting> settings) {
            Map<EvalSetting, List<Double>> rows = new LinkedHashMap<>();
            settings.forEach(s -> rows.put(s, zeroShot(s)));
            return rows.containsValue(null) ? null : rows;
        }

        /** Records zero-shot rows by setting. */
        public void zeroShot(Map<EvalSetting, List<Double>> rows) {
            rows.forEach((setting, row) -> {
                switch (setting) {
                    case MTIL -> zeroShot = row;
                    case X_TAIL -> xTailZeroShot = row;
                }
            });
        }

        /** The settings this method's rows were evaluated in, in {@link EvalSetting} order. */
        @JsonIgnore
        public List<EvalSetting> settings() {
            return java.util.Arrays.stream(EvalSetting.values()).filter(s -> zeroShot(s) != null).toList();
        }

        /** The accuracy matrix of a setting so far: the zero-shot row, then a row per committed task. */
        public List<List<Double>> rows(EvalSetting setting) {
            List<List<Double>> rows = new ArrayList<>();
            rows.add(zeroShot(setting));
            tasks.forEach(t -> rows.add(t.accuracy(setting)));
            return rows;
        }

        /** Transfer / Average / Last of a complete method in a setting. */
        public ContinualMetrics metrics(EvalSetting setting, List<String> datasets) {
            return ContinualMetrics.of(datasets, rows(setting).stream()
                    .map(r -> r.stream().mapToDouble(Double::doubleValue).toArray()).toArray(double[][]::new), true);
        }

        @JsonIgnore
        public TaskEntry last() {
            return tasks.isEmpty() ? null : tasks.get(tasks.size() - 1);
        }
    }

    /**
     * A committed task: its files (null for zero-shot), its accuracy rows (MTIL's {@code accuracy}, X-TAIL's
     * {@code xTail}; null for a setting not evaluated), and its costs. {@code experts} is the Parquet folder of the
     * task's vote counts per module and expert; {@code hfModel} the Hugging Face model directory whose weights
     * {@code merged} is (save-format huggingface), {@code adapter} the PEFT adapter folder of the merged experts (both
     * null in runs made before they were written).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TaskEntry(int index, String name, String merged, String lora, String memory, String experts,
            List<Double> accuracy, List<Double> xTail, double trainSeconds, double evalSeconds, int iterations, int workers,
            int batchPerRank, long trainableParameters, double peakRssMb, double loss, double clipLoss, double agoLoss,
            String hfModel, String adapter) {

        @com.fasterxml.jackson.annotation.JsonCreator
        public TaskEntry {}

        /** A task without a model directory or adapter (zero-shot). */
        public TaskEntry(int index, String name, String merged, String lora, String memory, String experts,
                List<Double> accuracy, List<Double> xTail, double trainSeconds, double evalSeconds, int iterations, int workers,
                int batchPerRank, long trainableParameters, double peakRssMb, double loss, double clipLoss, double agoLoss) {
            this(index, name, merged, lora, memory, experts, accuracy, xTail, trainSeconds, evalSeconds, iterations, workers,
                    batchPerRank, trainableParameters, peakRssMb, loss, clipLoss, agoLoss, null, null);
        }

        /** The accuracy row of a setting. */
        public List<Double> accuracy(EvalSetting setting) {
            return switch (setting) {
                case MTIL -> accuracy;
                case X_TAIL -> xTail;
            };
        }
    }

    /** A task's folder name in a run folder and in an export: {@code task-NN-<name>} ({@code number} from 1). */
    public static String taskFolder(int number, String name) {
        return String.format(java.util.Locale.ROOT, "task-%02d-%s", number, name);
    }

    /** The file name of a run's manifest. */
    public static final String FILE = "_manifest.json";

    /** The manifest of the run folder {@code runUri} (any Hadoop URI), with a clear error when it has none. */
    public static RunManifest read(String runUri, org.apache.hadoop.conf.Configuration hadoop) {
        com.fasterxml.jackson.databind.JsonNode json = dev.dacspark.spark.storage.Storage.readJson(runUri + "/" + FILE, hadoop);
        if (json == null) {
            throw new IllegalArgumentException(runUri + "/" + FILE + " does not exist: " + runUri
                    + " is not a run folder, or its run has not committed a task yet");
        }
        RunManifest m = JSON.convertValue(json, RunManifest.class);
        if (m.runId == null || m.results == null) {
            throw new IllegalArgumentException(runUri + "/" + FILE + ": missing key '" + (m.runId == null ? "run_id" : "results") + "'");
        }
        return m;
    }

    /** Transfer / Average / Last of every method of a complete run, per evaluation setting (in the order given). */
    public Map<EvalSetting, Map<String, ContinualMetrics>> metrics(List<EvalSetting> settings) {
        Map<EvalSetting, Map<String, ContinualMetrics>> out = new LinkedHashMap<>();
        for (EvalSetting setting : settings) {
            Map<String, ContinualMetrics> byMethod = new LinkedHashMap<>();
            methods.forEach((id, s) -> byMethod.put(id, s.metrics(setting, datasets)));
            out.put(setting, byMethod);
        }
        return out;
    }

    /** Every file and folder this manifest lists (relative to the run folder). */
    @JsonIgnore
    public List<String> listed() {
        List<String> out = new ArrayList<>();
        if (results != null) {
            out.add(results);
        }
        methods.values().forEach(m -> m.tasks.forEach(t -> {
            for (String f : new String[] {t.merged(), t.lora(), t.memory(), t.experts(), t.hfModel(), t.adapter()}) {
                if (f != null) {
                    out.add(f);
                }
            }
        }));
        return out;
    }
}
