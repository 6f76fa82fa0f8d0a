package dev.dacspark.train;

import com.typesafe.config.Config;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.Precision;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;
import dev.dacspark.eval.EvalSetting;
import dev.dacspark.lora.DacConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A run's settings, typed: {@code dac.seed}, {@code dac.model}, {@code dac.method}, {@code dac.methods},
 * {@code dac.train}, the per-task learning rates {@code dac.job.task-lr} and {@code dac.eval} (batch size, settings), read through {@link Settings} (defaults in reference.conf; every error names the file, line
 * and key). Relative paths are resolved against the config file's directory.
 *
 * @param saveDtype the float dtype of the merged checkpoints (dac.model.save-dtype; see {@link ClipCheckpoint.SaveDtype})
 * @param precision the dtype of the training ranks' frozen backbone (dac.model.precision; see {@link Precision}); the
 *                  merge and evaluation use the float32 model
 * @param taskLr learning rates by task name (dac.job.task-lr, the one place for them: train-local and train read
 *               it); other tasks train at {@code train.lr}
 */
public record RunConfig(long seed, Path checkpoint, Path tokenizer, ClipCheckpoint.Format saveFormat,
        ClipCheckpoint.SaveDtype saveDtype, Precision precision, DacConfig method,
        List<Method> methods, Train train, Map<String, Double> taskLr, Eval eval) {

    /** The methods and baselines the continual loop runs. */
    public enum Method {
        ZERO_SHOT, SEQ_LORA, DAC_NO_AGO, DAC;

        public String id() {
            return Section.id(this);
        }

        /** The adapter settings of this method, from the configured DAC settings; null for zero-shot. */
        public DacConfig adapter(DacConfig dac) {
            return switch (this) {
                case ZERO_SHOT -> null;
                case SEQ_LORA -> dac.withRouting(DacConfig.Routing.DENSE).withAgoWeight(0);
                case DAC_NO_AGO -> dac.withAgoWeight(0);
                case DAC -> dac;
            };
        }
    }

    public record Train(int iterations, int batchSize, double lr, double lrMin, AdamW.Settings adamw, int logEvery) {
        /** Reads {@code dac.train}. */
        static Train read(Section t) {
            double lr = t.positive("lr");
                return new Train(t.positiveInt("iterations"), t.positiveInt("batch-size"), lr,
                    t.doubleIn("lr-min", 0, lr, "lr = " + lr), AdamW.Settings.read(t),
                    t.positiveInt("log-every"));
        }
    }

    /**
     * {@code dac.eval}: images scored {@code batchSize} at a time, in every setting of {@code settings} (distinct, in
     * the config's order); X-TAIL's union of class names is prompted with {@code xTailTemplates} (each with "{}").
     */
    public record Eval(int batchSize, List<EvalSetting> settings, List<String> xTailTemplates) {
        /** Reads {@code dac.eval}. */
        static Eval read(Section e) {
            List<EvalSetting> settings = e.choices("settings", EvalSetting.class);
            e.check("settings", settings, !settings.isEmpty() && settings.stream().distinct().count() == settings.size(),
                    "non-empty, each setting once");
            List<String> templates = e.nonEmptyStrings("x-tail.templates");
            e.check("x-tail.templates", templates, templates.stream().allMatch(t -> t.contains("{}")),
                    "templates with '{}' for the class name");
            return new Eval(e.positiveInt("batch-size"), settings, templates);
        }
    }

    /** Loads a run config file over the defaults. */
    public static RunConfig load(Path file) {
        return read(Settings.load(file, "run config"));
    }

    /** Reads a config (user settings, without the defaults) whose relative paths are relative to {@code base}. */
    public static RunConfig from(Config user, Path base) {
        return read(Settings.of(user, base));
    }

    public static RunConfig read(Settings settings) {
        Section d = settings.section("dac");
        Train train = Train.read(d.section("train"));
        Map<String, Double> taskLr = d.numbers("job.task-lr", lr -> lr > 0 && lr >= train.lrMin(),
                "> 0 and >= dac.train.lr-min = " + train.lrMin());
        List<Method> methods = d.choices("methods", Method.class);
        if (d.string("model.precision").equalsIgnoreCase("bf16")) { // what issue 15 asked for; say why it is not here
            throw d.invalid("model.precision", Precision.NO_BF16);
        }
        return new RunConfig(d.longValue("seed"), d.optionalPath("model.checkpoint"), d.optionalPath("model.tokenizer"),
                d.parsed("model.save-format", ClipCheckpoint.Format::parse), d.choice("model.save-dtype", ClipCheckpoint.SaveDtype.class),
                d.choice("model.precision", Precision.class),
                DacConfig.read(d.section("method")),
                d.check("methods", methods, !methods.isEmpty(), "non-empty"),
                train, java.util.Collections.unmodifiableMap(taskLr), Eval.read(d.section("eval")));
    }

    /** The learning rate of a task: dac.job.task-lr.<name>, else dac.train.lr. */
    public double lr(String task) {
        return taskLr.getOrDefault(task, train.lr());
    }

    /** Refuses a dac.job.task-lr entry that names no task of the stream (a typo would silently train at dac.train.lr). */
    public void checkTaskLr(List<String> taskNames, String stream) {
        for (String name : taskLr.keySet()) {
            if (!taskNames.contains(name)) {
                throw new IllegalArgumentException("dac.job.task-lr." + name + ": no task of " + stream + " is called '" + name
                        + "'; its tasks are " + taskNames);
            }
        }
    }
}
