package dev.dacspark.spark.cli;

import com.typesafe.config.Config;
import dev.dacspark.config.Section;
import dev.dacspark.config.Settings;
import dev.dacspark.data.glyphs.Category;
import dev.dacspark.data.glyphs.GlyphStyle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The demo's settings ({@code dac.demo}; defaults in spark-jobs' reference.conf): its working folder (relative to
 * the config file), generator seed and image size, the base model, and the generated task stream.
 *
 * @param randomModel the architecture of {@code base-model = random} without vocab_size and image_resolution
 *                    (the stream's vocabulary and image-size give them); checked by ClipConfig when used
 */
public record DemoConfig(Path folder, long seed, int imageSize, BaseModel baseModel, Config randomModel, List<TaskSpec> tasks) {

    /** shipped: the project's pretrained small CLIP; random: an untrained one (chance accuracy). */
    public enum BaseModel { SHIPPED, RANDOM }

    /** One generated task: its category in one style, images per class of each split. */
    public record TaskSpec(String name, Category category, GlyphStyle style, int trainPerClass, int testPerClass) {}

    private static final Set<String> TASK_KEYS = Set.of("name", "category", "style", "train-per-class", "test-per-class");

    public static DemoConfig read(Settings settings) {
        Section d = settings.section("dac.demo");
        List<TaskSpec> tasks = new ArrayList<>();
        for (Section t : d.entries("tasks", "task", TASK_KEYS)) {
            tasks.add(new TaskSpec(t.string("name"), Category.parse(t.string("category"), t.at("category")),
                    GlyphStyle.parse(t.string("style"), t.at("style")), t.positiveInt("train-per-class"), t.positiveInt("test-per-class")));
        }
        return new DemoConfig(d.path("folder"), d.longValue("seed"), d.positiveInt("image-size"), d.choice("base-model", BaseModel.class),
                d.config("random-model"), List.copyOf(d.check("tasks", tasks, !tasks.isEmpty(), "non-empty")));
    }
}
