package dev.dacspark.data.glyphs;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static dev.dacspark.data.glyphs.Stroke.arc;
import static dev.dacspark.data.glyphs.Stroke.ellipse;
import static dev.dacspark.data.glyphs.Stroke.line;
import static dev.dacspark.data.glyphs.Stroke.path;
import static dev.dacspark.data.glyphs.Stroke.polygon;

/**
 * The project's own single-stroke font: every glyph class as one or more variants (a 1 with or without flag and
 * base, an open or closed 4, a 7 with or without bar, ...), each a list of {@link Stroke}s. Digits and letters
 * are about 0.6 wide and 1 high, shapes fill the unit square; y points down. Shapes are closed polygons, which a
 * renderer may fill.
 */
final class GlyphFont {
    private GlyphFont() {}

    private static final Map<Category, List<List<List<Stroke>>>> VARIANTS = new EnumMap<>(Category.class);

    static {
        VARIANTS.put(Category.DIGIT, List.of(
                variants( // 0
                        List.of(ellipse(0.3, 0.5, 0.28, 0.48)),
                        List.of(ellipse(0.3, 0.5, 0.22, 0.48))),
                variants( // 1
                        List.of(line(0.3, 0, 0.3, 1)),
                        List.of(line(0.1, 0.2, 0.3, 0, 0.3, 1)),
                        List.of(line(0.1, 0.2, 0.3, 0, 0.3, 1), line(0.08, 1, 0.52, 1))),
                variants( // 2
                        List.of(path(arc(0.3, 0.28, 0.27, 0.26, 200, 390), line(0.02, 1, 0.6, 1))),
                        List.of(path(arc(0.3, 0.26, 0.28, 0.26, 190, 370), arc(0.62, 1.0, 0.6, 0.62, 270, 180), line(0.6, 1)))),
                variants( // 3
                        List.of(path(arc(0.28, 0.25, 0.26, 0.23, 200, 450), arc(0.28, 0.73, 0.3, 0.27, 270, 520))),
                        List.of(path(line(0.02, 0, 0.55, 0, 0.25, 0.42), arc(0.28, 0.71, 0.3, 0.29, 250, 520)))),
                variants( // 4
                        List.of(line(0.45, 1, 0.45, 0, 0, 0.68, 0.6, 0.68)),
                        List.of(line(0.1, 0, 0.02, 0.62, 0.6, 0.62), line(0.45, 0.3, 0.45, 1))),
                variants( // 5
                        List.of(path(line(0.55, 0, 0.1, 0, 0.07, 0.45), arc(0.3, 0.69, 0.3, 0.29, 235, 520)))),
                variants( // 6
                        List.of(path(arc(0.33, 0.62, 0.3, 0.62, 285, 180), arc(0.3, 0.72, 0.28, 0.27, 180, 540))),
                        List.of(path(line(0.45, 0, 0.08, 0.6), arc(0.3, 0.72, 0.28, 0.27, 200, 560)))),
                variants( // 7
                        List.of(line(0, 0, 0.6, 0, 0.2, 1)),
                        List.of(line(0, 0, 0.6, 0, 0.2, 1), line(0.15, 0.5, 0.5, 0.5)),
                        List.of(line(0, 0.15, 0, 0, 0.6, 0, 0.25, 1))),
                variants( // 8
                        List.of(ellipse(0.3, 0.25, 0.22, 0.24), ellipse(0.3, 0.73, 0.28, 0.26))),
                variants( // 9
                        List.of(ellipse(0.3, 0.28, 0.27, 0.27), line(0.57, 0.28, 0.52, 1)),
                        List.of(ellipse(0.3, 0.28, 0.27, 0.27), path(line(0.57, 0.28, 0.55, 0.7), arc(0.3, 0.7, 0.25, 0.3, 0, 150))))));

        List<Stroke> p = List.of(path(line(0, 1, 0, 0, 0.3, 0), arc(0.3, 0.26, 0.26, 0.26, 270, 450), line(0, 0.52)));
        List<Stroke> o = List.of(ellipse(0.33, 0.5, 0.33, 0.5));
        VARIANTS.put(Category.LETTER, List.of(
                variants(List.of(line(0, 1, 0.3, 0, 0.6, 1), line(0.11, 0.62, 0.49, 0.62))), // A
                variants(List.of(line(0, 0, 0, 1), // B
                        path(line(0, 0, 0.32, 0), arc(0.32, 0.24, 0.22, 0.24, 270, 450), line(0, 0.48)),
                        path(line(0, 0.48, 0.35, 0.48), arc(0.35, 0.74, 0.25, 0.26, 270, 450), line(0, 1)))),
                variants(List.of(arc(0.33, 0.5, 0.32, 0.5, 315, 45))), // C
                variants(List.of(path(line(0, 1, 0, 0, 0.22, 0), arc(0.22, 0.5, 0.38, 0.5, 270, 450), line(0, 1)))), // D
                variants(List.of(line(0.55, 0, 0, 0, 0, 1, 0.55, 1), line(0, 0.5, 0.45, 0.5))), // E
                variants(List.of(line(0.55, 0, 0, 0, 0, 1), line(0, 0.5, 0.45, 0.5))), // F
                variants(List.of(path(arc(0.33, 0.5, 0.32, 0.5, 315, 30), line(0.61, 0.55, 0.36, 0.55)))), // G
                variants(List.of(line(0, 0, 0, 1), line(0.6, 0, 0.6, 1), line(0, 0.5, 0.6, 0.5))), // H
                variants(List.of(line(0.3, 0, 0.3, 1), line(0.1, 0, 0.5, 0), line(0.1, 1, 0.5, 1))), // I
                variants( // J
                        List.of(path(line(0.5, 0, 0.5, 0.7), arc(0.27, 0.7, 0.23, 0.3, 0, 180))),
                        List.of(path(line(0.5, 0, 0.5, 0.7), arc(0.27, 0.7, 0.23, 0.3, 0, 180)), line(0.25, 0, 0.65, 0))),
                variants(List.of(line(0, 0, 0, 1), line(0.55, 0, 0, 0.58), line(0.2, 0.42, 0.6, 1))), // K
                variants(List.of(line(0, 0, 0, 1, 0.55, 1))), // L
                variants(List.of(line(0, 1, 0, 0, 0.35, 0.65, 0.7, 0, 0.7, 1))), // M
                variants(List.of(line(0, 1, 0, 0, 0.6, 1, 0.6, 0))), // N
                variants(o), // O
                variants(p), // P
                variants(List.of(o.get(0), line(0.38, 0.7, 0.68, 1.02))), // Q
                variants(List.of(p.get(0), line(0.25, 0.52, 0.6, 1))), // R
                variants(List.of(path(arc(0.3, 0.25, 0.28, 0.25, 340, 90), arc(0.3, 0.75, 0.3, 0.25, 270, 520)))), // S
                variants(List.of(line(0, 0, 0.6, 0), line(0.3, 0, 0.3, 1))), // T
                variants(List.of(path(line(0, 0, 0, 0.68), arc(0.3, 0.68, 0.3, 0.32, 180, 0), line(0.6, 0)))), // U
                variants(List.of(line(0, 0, 0.3, 1, 0.6, 0))), // V
                variants(List.of(line(0, 0, 0.17, 1, 0.35, 0.35, 0.53, 1, 0.7, 0))), // W
                variants(List.of(line(0, 0, 0.6, 1), line(0.6, 0, 0, 1))), // X
                variants(List.of(line(0, 0, 0.3, 0.5, 0.6, 0), line(0.3, 0.5, 0.3, 1))), // Y
                variants(List.of(line(0, 0, 0.6, 0, 0, 1, 0.6, 1))))); // Z

        double third = 1.0 / 3;
        VARIANTS.put(Category.SHAPE, List.of(
                variants(List.of(ellipse(0.5, 0.5, 0.5, 0.5))), // circle
                variants(List.of(polygon(0, 0, 1, 0, 1, 1, 0, 1))), // square
                variants(List.of(polygon(0.5, 0, 1, 0.866, 0, 0.866))), // triangle
                variants(List.of(star())), // star
                variants(List.of(heart())), // heart
                variants(List.of(polygon(third, 0, 2 * third, 0, 2 * third, third, 1, third, 1, 2 * third, 2 * third, 2 * third,
                        2 * third, 1, third, 1, third, 2 * third, 0, 2 * third, 0, third, third, third))))); // cross
        List<List<List<Stroke>>> roman = new ArrayList<>();
        for (String numeral : Category.ROMAN.symbols()) {
            roman.add(variants(romanNumeral(numeral)));
        }
        VARIANTS.put(Category.ROMAN, roman);

        List<List<List<Stroke>>> dice = new ArrayList<>();
        for (int pips = 1; pips <= Category.DICE.size(); pips++) {
            dice.add(variants(dieFace(pips)));
        }
        VARIANTS.put(Category.DICE, dice);

        for (Category c : Category.values()) {
            if (VARIANTS.get(c).size() != c.size()) {
                throw new AssertionError(c + ": " + VARIANTS.get(c).size() + " glyphs for " + c.size() + " classes");
            }
        }
    }

    @SafeVarargs
    private static List<List<Stroke>> variants(List<Stroke>... variants) {
        return List.of(variants);
    }

    /** A five-pointed star, point up: outer radius 0.5, inner 0.2. */
    private static Stroke star() {
        double[] xy = new double[20];
        for (int i = 0; i < 10; i++) {
            double r = i % 2 == 0 ? 0.5 : 0.2;
            double a = StrictMath.toRadians(-90 + 36 * i);
            xy[2 * i] = 0.5 + r * StrictMath.cos(a);
            xy[2 * i + 1] = 0.5 + r * StrictMath.sin(a);
        }
        return polygon(xy);
    }

    /** The classic heart curve x = 16 sin^3 t, y = -(13 cos t - 5 cos 2t - 2 cos 3t - cos 4t), 40 points. */
    private static Stroke heart() {
        List<Double> xy = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double t = 2 * Math.PI * i / 40;
            double s = StrictMath.sin(t);
            xy.add(16 * s * s * s / 34 + 0.5);
            xy.add(-(13 * StrictMath.cos(t) - 5 * StrictMath.cos(2 * t) - 2 * StrictMath.cos(3 * t) - StrictMath.cos(4 * t)) / 34 + 0.5);
        }
        return polygon(xy.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** A Roman numeral written left to right with bare strokes: I a bar, V two, X a cross; 0.22 apart. */
    private static List<Stroke> romanNumeral(String numeral) {
        List<Stroke> out = new ArrayList<>();
        double x = 0;
        for (char c : numeral.toCharArray()) {
            switch (c) {
                case 'I' -> out.add(line(x, 0, x, 1));
                case 'V' -> {
                    out.add(line(x, 0, x + 0.3, 1, x + 0.6, 0));
                    x += 0.6;
                }
                case 'X' -> {
                    out.add(line(x, 0, x + 0.6, 1));
                    out.add(line(x + 0.6, 0, x, 1));
                    x += 0.6;
                }
                default -> throw new AssertionError(numeral);
            }
            x += 0.22;
        }
        return out;
    }

    /** A die's face: the unit square and its pips (small rings) where a die has them. */
    private static List<Stroke> dieFace(int pips) {
        double[][] at = switch (pips) {
            case 1 -> new double[][] {{0.5, 0.5}};
            case 2 -> new double[][] {{0.27, 0.27}, {0.73, 0.73}};
            case 3 -> new double[][] {{0.27, 0.27}, {0.5, 0.5}, {0.73, 0.73}};
            case 4 -> new double[][] {{0.27, 0.27}, {0.73, 0.27}, {0.27, 0.73}, {0.73, 0.73}};
            case 5 -> new double[][] {{0.27, 0.27}, {0.73, 0.27}, {0.5, 0.5}, {0.27, 0.73}, {0.73, 0.73}};
            case 6 -> new double[][] {{0.27, 0.25}, {0.73, 0.25}, {0.27, 0.5}, {0.73, 0.5}, {0.27, 0.75}, {0.73, 0.75}};
            default -> throw new AssertionError(pips);
        };
        List<Stroke> out = new ArrayList<>();
        out.add(polygon(0, 0, 1, 0, 1, 1, 0, 1));
        for (double[] p : at) {
            out.add(ellipse(p[0], p[1], 0.06, 0.06));
        }
        return out;
    }

    /** The variants of a glyph class. */
    static List<List<Stroke>> variants(GlyphClass glyph) {
        return VARIANTS.get(glyph.category()).get(glyph.index());
    }
}
