package dev.dacspark.data.glyphs;

import java.util.List;
import java.util.Locale;

/** The kinds of glyph the generator draws, each with its classes in label order. */
public enum Category {
    DIGIT(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    LETTER(List.of("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T",
            "U", "V", "W", "X", "Y", "Z")),
    SHAPE(List.of("circle", "square", "triangle", "star", "heart", "cross"));

    private final List<String> symbols;

    Category(List<String> symbols) {
        this.symbols = symbols;
    }

    /** The classes' symbols by index: "0".."9", "A".."Z", or the shape's word. */
    public List<String> symbols() {
        return symbols;
    }

    public int size() {
        return symbols.size();
    }

    /** The class of this category at an index. */
    public GlyphClass glyph(int index) {
        return new GlyphClass(this, index);
    }

    /** The config spelling: digit, letter, shape. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
