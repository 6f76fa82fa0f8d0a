package dev.dacspark.data.glyphs;

import dev.dacspark.eval.ZeroShotClassifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the generator's images are called: caption templates per category and the names a caption may give a
 * class. Captions name the class only (no colour, size or style words), so two captions of one class describe
 * the same thing.
 */
public final class GlyphCaptions {
    private GlyphCaptions() {}

    private static final List<String> DIGIT_WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven",
            "eight", "nine");

    private static final Map<Category, List<String>> TEMPLATES = Map.of(
            Category.DIGIT, List.of("a photo of the number: \"{}\".", "a drawing of the digit {}.", "the number {}.",
                    "an image of the digit {}."),
            Category.LETTER, List.of("a photo of the letter: \"{}\".", "a drawing of the letter {}.", "the letter {}.",
                    "a capital {}."),
            Category.SHAPE, List.of("a photo of a {}.", "a drawing of a {}.", "a {} shape.", "an image of a {}."),
            Category.ROMAN, List.of("the number {}.", "a drawing of the number {}.", "an image of the number {}."),
            Category.DICE, List.of("a photo of the number {}.", "the number {}.", "an image of the number {}."));

    /** The caption templates of a category, "{}" standing for the class name. */
    public static List<String> templates(Category category) {
        return TEMPLATES.get(category);
    }

    /**
     * The names a caption may give a class: a digit as "3", "three" or "3 - three"; a letter or shape by its symbol;
     * a Roman numeral or a die's face by its number's word ("four" for IV and for four pips).
     */
    public static List<String> names(GlyphClass glyph) {
        return switch (glyph.category()) {
            case DIGIT -> List.of(glyph.symbol(), DIGIT_WORDS.get(glyph.index()), className(glyph));
            case LETTER, SHAPE -> List.of(glyph.symbol());
            case ROMAN, DICE -> List.of(className(glyph));
        };
    }

    /**
     * The name zero-shot classification uses: a digit as "3 - three" (torchvision's MNIST class names, which the
     * MTIL benchmark uses), a letter or shape by its symbol, a Roman numeral or a die's face by its number's word.
     */
    public static String className(GlyphClass glyph) {
        return switch (glyph.category()) {
            case DIGIT -> glyph.symbol() + " - " + DIGIT_WORDS.get(glyph.index());
            case LETTER, SHAPE -> glyph.symbol();
            case ROMAN, DICE -> DIGIT_WORDS.get(glyph.index() + 1);
        };
    }

    /** {@link #className} of every class of a category, by label. */
    public static List<String> classNames(Category category) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < category.size(); i++) {
            out.add(className(category.glyph(i)));
        }
        return out;
    }

    /** A caption for an image of this class: a template and a name drawn from {@code rng}. */
    public static String caption(GlyphClass glyph, SplittableRandom rng) {
        List<String> templates = templates(glyph.category());
        List<String> names = names(glyph);
        String template = templates.get(rng.nextInt(templates.size()));
        return ZeroShotClassifier.prompt(template, names.get(rng.nextInt(names.size())));
    }

    /** Every caption the generator can write, and every zero-shot prompt: what a tokenizer for it must know. */
    public static List<String> all() {
        List<String> out = new ArrayList<>();
        for (Category c : Category.values()) {
            for (int i = 0; i < c.size(); i++) {
                for (String template : templates(c)) {
                    for (String name : names(c.glyph(i))) {
                        out.add(ZeroShotClassifier.prompt(template, name));
                    }
                }
            }
        }
        return out;
    }
}
