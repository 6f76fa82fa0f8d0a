package dev.dacspark.data.glyphs;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The kinds of glyph the generator draws, each with its classes in label order. Digits, letters and shapes are the
 * base model's pretraining ({@link #PRETRAINED}); Roman numerals and dice faces are concepts it never saw, named
 * with words it knows (the numbers one to nine), so a stream can ask it to learn something new.
 */
public enum Category {
    DIGIT(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    LETTER(List.of("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T",
            "U", "V", "W", "X", "Y", "Z")),
    SHAPE(List.of("circle", "square", "triangle", "star", "heart", "cross")),
    /** The numbers one to nine as Roman numerals, drawn with the strokes of I, V and X. */
    ROMAN(List.of("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")),
    /** The faces of a die, one to six pips in a square. */
    DICE(List.of("1", "2", "3", "4", "5", "6"));

    /** The categories of the base model's pretraining mix ({@link GlyphMix}) and of its zero-shot measurements. */
    public static final List<Category> PRETRAINED = List.of(DIGIT, LETTER, SHAPE);

    private final List<String> symbols;

    Category(List<String> symbols) {
        this.symbols = symbols;
    }

    /** The classes' symbols by index: "0".."9", "A".."Z", the shape's word, "I".."IX", "1".."6". */
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

    /** The config spelling: digit, letter, shape, roman, dice. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Category parse(String s, String where) {
        for (Category c : values()) {
            if (c.id().equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException(where + ": unknown glyph category '" + s + "'; expected one of "
                + Arrays.stream(values()).map(Category::id).toList());
    }
}
