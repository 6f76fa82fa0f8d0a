package dev.dacspark.data.glyphs;

import dev.dacspark.data.Sample;
import dev.dacspark.data.Split;
import dev.dacspark.data.TaskData;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A classification task of generated glyphs: every class of one category drawn in one style, a fixed number of
 * images per class and split, made on demand. Class names and templates are {@link GlyphCaptions}'.
 */
public final class GlyphTask implements TaskData {
    private final String name;
    private final Category category;
    private final GlyphStyle style;
    private final int trainPerClass;
    private final int testPerClass;
    private final GlyphGenerator generator;

    public GlyphTask(String name, Category category, GlyphStyle style, int trainPerClass, int testPerClass,
            GlyphGenerator generator) {
        if (trainPerClass < 0 || testPerClass < 0) {
            throw new IllegalArgumentException("task '" + name + "': images per class must not be negative, got "
                    + trainPerClass + " and " + testPerClass);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.category = Objects.requireNonNull(category, "category");
        this.style = Objects.requireNonNull(style, "style");
        this.trainPerClass = trainPerClass;
        this.testPerClass = testPerClass;
        this.generator = Objects.requireNonNull(generator, "generator");
    }

    @Override
    public String name() {
        return name;
    }

    public Category category() {
        return category;
    }

    public GlyphStyle style() {
        return style;
    }

    @Override
    public List<String> classNames() {
        return GlyphCaptions.classNames(category);
    }

    @Override
    public List<String> templates() {
        return GlyphCaptions.templates(category);
    }

    /** Class by class, {@code i = 0..n-1} within each; image i of a class is keyed by (split, i). */
    @Override
    public List<Sample> samples(Split split) {
        int n = split == Split.TRAIN ? trainPerClass : testPerClass;
        List<Sample> out = new ArrayList<>(n * category.size());
        for (int label = 0; label < category.size(); label++) {
            GlyphClass glyph = category.glyph(label);
            for (int i = 0; i < n; i++) {
                long index = i;
                out.add(new Sample(name + "/" + split.dirName + "/" + label + "/" + i, label,
                        () -> generator.image(glyph, style, split.ordinal(), index)));
            }
        }
        return out;
    }
}
