package dev.dacspark.data.glyphs;

import java.util.Objects;

/** One class of glyph: a category and the class's index in it ("7" is {@code DIGIT, 7}). */
public record GlyphClass(Category category, int index) {
    public GlyphClass {
        Objects.requireNonNull(category, "category");
        Objects.checkIndex(index, category.size());
    }

    /** The class's symbol: "7", "Q", "star". */
    public String symbol() {
        return category.symbols().get(index);
    }

    /** A label unique over all categories: digits 0-9, letters 10-35, shapes 36-41. */
    public int globalLabel() {
        int offset = 0;
        for (Category c : Category.values()) {
            if (c == category) {
                return offset + index;
            }
            offset += c.size();
        }
        throw new AssertionError(category);
    }

    @Override
    public String toString() {
        return category.id() + " " + symbol();
    }
}
