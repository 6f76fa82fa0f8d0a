package dev.dacspark.data.glyphs;

import java.util.Locale;

/**
 * How a glyph is drawn. Pretraining sees {@link #CLEAN}; the others are styles a model pretrained on it has not
 * seen, for held-out evaluation and the demo's tasks.
 */
public enum GlyphStyle {
    /** Even strokes along the stroke definitions; shapes filled or outlined. */
    CLEAN,
    /** Handwriting-like: the glyph warped, each stroke wobbling, its width changing along it; shapes outlined. */
    HANDWRITTEN,
    /** Hollow strokes: only the two thin contours of a thick stroke. */
    OUTLINE,
    /** Strokes as rows of dots. */
    DOTTED,
    /** Thick strokes and filled shapes whose ink is a striped or checked texture, on a textured background. */
    TEXTURED;

    /** The config spelling: clean, handwritten, outline, dotted, textured. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static GlyphStyle parse(String s, String where) {
        for (GlyphStyle g : values()) {
            if (g.id().equals(s)) {
                return g;
            }
        }
        throw new IllegalArgumentException(where + ": unknown glyph style '" + s
                + "'; expected clean, handwritten, outline, dotted or textured");
    }
}
