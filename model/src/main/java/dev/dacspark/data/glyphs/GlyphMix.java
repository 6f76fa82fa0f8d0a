package dev.dacspark.data.glyphs;

import java.util.List;
import java.util.Objects;

/**
 * A stream of glyphs: how often each category comes (relative weights) and the styles drawn from (evenly).
 * The base model's pretraining: digits 0.55, letters 0.15, shapes 0.30, style clean.
 */
public record GlyphMix(double digits, double letters, double shapes, List<GlyphStyle> styles) {
    public GlyphMix {
        if (!(digits >= 0 && letters >= 0 && shapes >= 0 && digits + letters + shapes > 0)) {
            throw new IllegalArgumentException("glyph mix weights must be non-negative with a positive sum, got digits "
                    + digits + ", letters " + letters + ", shapes " + shapes);
        }
        styles = List.copyOf(Objects.requireNonNull(styles, "styles"));
        if (styles.isEmpty()) {
            throw new IllegalArgumentException("a glyph mix needs at least one style");
        }
    }

    /** The category at {@code u} in [0, 1): digits first, then letters, then shapes, by their weights. */
    Category category(double u) {
        double total = digits + letters + shapes;
        double x = u * total;
        if (x < digits) {
            return Category.DIGIT;
        }
        return x < digits + letters ? Category.LETTER : Category.SHAPE;
    }
}
