package dev.dacspark.data.glyphs;

import dev.dacspark.clip.RgbImage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws one glyph image from its seed, with the project's own rasteriser (no fonts, no Java2D), in double
 * arithmetic with {@link StrictMath}: the same seed gives the same bytes on every machine and JVM.
 *
 * <p>Per image, all drawn from the seed: a variant of the glyph's strokes; for {@link GlyphStyle#HANDWRITTEN} a
 * smooth warp of the glyph, a wobble, an offset and a changing width per stroke; size (0.5-0.85 of the canvas
 * height, shapes 0.45-0.8 of their larger side), aspect (0.8-1.2), shear (+-0.3), rotation (+-20 degrees) and
 * shift (+-10 % of the canvas, kept inside it); stroke width; ink and background levels; a Gaussian blur (sigma
 * 0-1 pixel); Gaussian noise (sigma 0-0.08); and the ink polarity (light on dark or dark on light, even odds).
 * Strokes are anti-aliased from their exact distance to each pixel centre. Images are grey, stored as RGB.
 */
public final class GlyphRenderer {
    private GlyphRenderer() {}

    /** A working polyline in glyph units, later canvas pixels: points, a width factor per point, closed or not. */
    private static final class Line {
        double[] x;
        double[] y;
        double[] width;
        final boolean closed;

        Line(double[] x, double[] y, boolean closed) {
            this.x = x;
            this.y = y;
            this.closed = closed;
            this.width = new double[x.length];
            Arrays.fill(width, 1.0);
        }

        int size() {
            return x.length;
        }

        /** Segments: i to i + 1, and the last back to the first when closed. */
        int segments() {
            return closed ? size() : size() - 1;
        }
    }

    /** The image of {@code glyph} in {@code style}, {@code size x size} pixels, drawn from {@code seed}. */
    public static RgbImage render(GlyphClass glyph, GlyphStyle style, int size, long seed) {
        if (size < 8) {
            throw new IllegalArgumentException("glyph images need at least 8 x 8 pixels, got " + size);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        List<List<Stroke>> variants = GlyphFont.variants(glyph);
        List<Line> lines = new ArrayList<>();
        for (Stroke s : variants.get(rng.nextInt(variants.size()))) {
            lines.add(new Line(s.xs().clone(), s.ys().clone(), s.closed()));
        }
        boolean shape = glyph.category() == Category.SHAPE;
        boolean filled = shape && (style == GlyphStyle.TEXTURED || style == GlyphStyle.CLEAN && rng.nextBoolean());
        if (style == GlyphStyle.HANDWRITTEN) {
            handwrite(lines, rng);
        }
        place(lines, shape, size, rng);

        double[] cover = new double[size * size];
        switch (style) {
            case CLEAN, HANDWRITTEN -> {
                double radius = size * uniform(rng, 0.05, 0.13) / 2;
                if (filled) {
                    fill(cover, size, lines);
                } else {
                    strokes(cover, size, lines, radius);
                }
            }
            case OUTLINE -> {
                double radius = size * uniform(rng, 0.13, 0.2) / 2;
                contours(cover, size, lines, radius, uniform(rng, 0.45, 0.75));
            }
            case DOTTED -> {
                double radius = size * uniform(rng, 0.045, 0.07);
                dots(cover, size, lines, radius, radius * uniform(rng, 2.4, 3.2));
            }
            case TEXTURED -> {
                double radius = size * uniform(rng, 0.14, 0.2) / 2;
                if (filled) {
                    fill(cover, size, lines);
                } else {
                    strokes(cover, size, lines, radius);
                }
            }
        }

        double background = uniform(rng, 0, 0.25);
        double ink = uniform(rng, 0.7, 1.0);
        double[] value = new double[size * size];
        if (style == GlyphStyle.TEXTURED) {
            double[] inkTexture = inkTexture(size, rng);
            double[] backTexture = backgroundTexture(size, rng);
            for (int i = 0; i < value.length; i++) {
                value[i] = background + backTexture[i] + (ink * inkTexture[i] - background - backTexture[i]) * cover[i];
            }
        } else {
            for (int i = 0; i < value.length; i++) {
                value[i] = background + (ink - background) * cover[i];
            }
        }
        double sigma = uniform(rng, 0, 1.0);
        if (sigma >= 0.25) {
            value = blur(value, size, sigma);
        }
        double noise = uniform(rng, 0, 0.08);
        boolean darkOnLight = rng.nextBoolean();
        byte[] rgb = new byte[size * size * 3];
        for (int i = 0; i < value.length; i++) {
            double v = value[i] + noise * gaussian(rng);
            if (darkOnLight) {
                v = 1 - v;
            }
            byte b = (byte) (int) (Math.min(1, Math.max(0, v)) * 255 + 0.5);
            rgb[3 * i] = b;
            rgb[3 * i + 1] = b;
            rgb[3 * i + 2] = b;
        }
        return new RgbImage(size, size, rgb);
    }

    /**
     * Handwriting: strokes resampled every 0.04 units, the whole glyph warped by two sine fields, each stroke
     * offset and wobbling along its length, its width changing between 0.7 and 1.3 of the pen's.
     */
    private static void handwrite(List<Line> lines, SplittableRandom rng) {
        double ax = uniform(rng, 0.015, 0.045);
        double fx = uniform(rng, 0.4, 1.2);
        double px = rng.nextDouble();
        double ay = uniform(rng, 0.015, 0.045);
        double fy = uniform(rng, 0.4, 1.2);
        double py = rng.nextDouble();
        for (Line line : lines) {
            resample(line, 0.04);
            double ox = uniform(rng, -0.03, 0.03);
            double oy = uniform(rng, -0.03, 0.03);
            double wobble = uniform(rng, 0.005, 0.02);
            double wf = uniform(rng, 1.5, 4);
            double wpx = rng.nextDouble();
            double wpy = rng.nextDouble();
            double pf = uniform(rng, 0.5, 2);
            double pp = rng.nextDouble();
            double[] u = arcFractions(line);
            for (int i = 0; i < line.size(); i++) {
                double x = line.x[i];
                double y = line.y[i];
                line.x[i] = x + ax * StrictMath.sin(2 * Math.PI * (fx * y + px)) + ox + wobble * StrictMath.sin(2 * Math.PI * (wf * u[i] + wpx));
                line.y[i] = y + ay * StrictMath.sin(2 * Math.PI * (fy * x + py)) + oy + wobble * StrictMath.sin(2 * Math.PI * (wf * u[i] + wpy));
                line.width[i] = 0.7 + 0.6 * (0.5 + 0.5 * StrictMath.sin(2 * Math.PI * (pf * u[i] + pp)));
            }
        }
    }

    /** Inserts points so that no segment is longer than {@code step}. */
    private static void resample(Line line, double step) {
        List<double[]> out = new ArrayList<>();
        for (int s = 0; s < line.segments(); s++) {
            int j = (s + 1) % line.size();
            double dx = line.x[j] - line.x[s];
            double dy = line.y[j] - line.y[s];
            int n = Math.max(1, (int) Math.ceil(Math.sqrt(dx * dx + dy * dy) / step));
            for (int k = 0; k < n; k++) {
                out.add(new double[] {line.x[s] + dx * k / n, line.y[s] + dy * k / n});
            }
        }
        if (!line.closed) {
            out.add(new double[] {line.x[line.size() - 1], line.y[line.size() - 1]});
        }
        line.x = out.stream().mapToDouble(p -> p[0]).toArray();
        line.y = out.stream().mapToDouble(p -> p[1]).toArray();
        line.width = new double[line.x.length];
        Arrays.fill(line.width, 1.0);
    }

    /** Each point's distance along the line as a fraction of the line's length. */
    private static double[] arcFractions(Line line) {
        double[] u = new double[line.size()];
        for (int i = 1; i < line.size(); i++) {
            u[i] = u[i - 1] + StrictMath.hypot(line.x[i] - line.x[i - 1], line.y[i] - line.y[i - 1]);
        }
        double total = u[line.size() - 1];
        for (int i = 0; i < u.length; i++) {
            u[i] = total > 0 ? u[i] / total : 0;
        }
        return u;
    }

    /**
     * Moves the glyph from glyph units onto the canvas, in pixels: scaled to its drawn size about its centre,
     * stretched, sheared, rotated, then centred, shrunk to fit if needed, and shifted while staying inside.
     */
    private static void place(List<Line> lines, boolean shape, int size, SplittableRandom rng) {
        double[] box = bounds(lines);
        double width = box[2] - box[0];
        double height = box[3] - box[1];
        double extent = shape ? Math.max(width, height) : height;
        double scale = size * (shape ? uniform(rng, 0.45, 0.8) : uniform(rng, 0.5, 0.85)) / extent;
        double aspect = uniform(rng, 0.8, 1.2);
        double shear = uniform(rng, -0.3, 0.3);
        double angle = StrictMath.toRadians(uniform(rng, -20, 20));
        double cos = StrictMath.cos(angle);
        double sin = StrictMath.sin(angle);
        double cx = (box[0] + box[2]) / 2;
        double cy = (box[1] + box[3]) / 2;
        for (Line line : lines) {
            for (int i = 0; i < line.size(); i++) {
                double y = (line.y[i] - cy) * scale;
                double x = (line.x[i] - cx) * scale * aspect + shear * y;
                line.x[i] = cos * x - sin * y;
                line.y[i] = sin * x + cos * y;
            }
        }
        box = bounds(lines);
        double margin = 1.5;
        double fit = Math.min(1, (size - 2 * margin) / Math.max(box[2] - box[0], box[3] - box[1]));
        double shiftX = clamp(uniform(rng, -0.1, 0.1) * size, (margin - size / 2.0) - box[0] * fit, (size / 2.0 - margin) - box[2] * fit);
        double shiftY = clamp(uniform(rng, -0.1, 0.1) * size, (margin - size / 2.0) - box[1] * fit, (size / 2.0 - margin) - box[3] * fit);
        for (Line line : lines) {
            for (int i = 0; i < line.size(); i++) {
                line.x[i] = line.x[i] * fit + size / 2.0 + shiftX;
                line.y[i] = line.y[i] * fit + size / 2.0 + shiftY;
            }
        }
    }

    /** {minX, minY, maxX, maxY} of every point. */
    private static double[] bounds(List<Line> lines) {
        double[] b = {Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        for (Line line : lines) {
            for (int i = 0; i < line.size(); i++) {
                b[0] = Math.min(b[0], line.x[i]);
                b[1] = Math.min(b[1], line.y[i]);
                b[2] = Math.max(b[2], line.x[i]);
                b[3] = Math.max(b[3], line.y[i]);
            }
        }
        return b;
    }

    /** Even strokes of half-width {@code radius} times each point's width factor: coverage 1 inside, 1 pixel ramp. */
    private static void strokes(double[] cover, int size, List<Line> lines, double radius) {
        for (Line line : lines) {
            for (int s = 0; s < line.segments(); s++) {
                int j = (s + 1) % line.size();
                segment(cover, size, line.x[s], line.y[s], line.x[j], line.y[j], radius * line.width[s], radius * line.width[j]);
            }
        }
    }

    /** Coverage of one segment whose half-width goes from ra to rb, kept where it exceeds what is there. */
    private static void segment(double[] cover, int size, double ax, double ay, double bx, double by, double ra, double rb) {
        Segment g = new Segment(ax, ay, bx - ax, by - ay);
        int[] box = g.pixels(Math.max(ra, rb) + 1, size);
        for (int y = box[1]; y <= box[3]; y++) {
            for (int x = box[0]; x <= box[2]; x++) {
                double t = g.along(x, y);
                double c = clamp(ra + t * (rb - ra) - g.distance(x, y, t) + 0.5, 0, 1);
                int i = y * size + x;
                if (c > cover[i]) {
                    cover[i] = c;
                }
            }
        }
    }

    /** A segment from (ax, ay) by (dx, dy), and where a pixel's centre lies from it. */
    private record Segment(double ax, double ay, double dx, double dy) {
        /** {x0, y0, x1, y1}: the canvas pixels within {@code reach} of the segment's bounding box. */
        int[] pixels(double reach, int size) {
            return new int[] {
                    Math.max(0, (int) Math.floor(Math.min(ax, ax + dx) - reach)),
                    Math.max(0, (int) Math.floor(Math.min(ay, ay + dy) - reach)),
                    Math.min(size - 1, (int) Math.ceil(Math.max(ax, ax + dx) + reach)),
                    Math.min(size - 1, (int) Math.ceil(Math.max(ay, ay + dy) + reach))};
        }

        /** Where pixel (x, y)'s centre projects onto the segment: 0 at its start, 1 at its end. */
        double along(int x, int y) {
            double len2 = dx * dx + dy * dy;
            return len2 > 0 ? clamp(((x + 0.5 - ax) * dx + (y + 0.5 - ay) * dy) / len2, 0, 1) : 0;
        }

        /** The distance from pixel (x, y)'s centre to the segment's point at {@code t}. */
        double distance(int x, int y, double t) {
            double ex = x + 0.5 - ax - t * dx;
            double ey = y + 0.5 - ay - t * dy;
            return Math.sqrt(ex * ex + ey * ey);
        }
    }

    /** Filled closed lines (even-odd rule), anti-aliased by the distance to the outline. */
    private static void fill(double[] cover, int size, List<Line> lines) {
        double[] distance = distances(size, lines, Double.MAX_VALUE);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double px = x + 0.5;
                double py = y + 0.5;
                boolean inside = false;
                for (Line line : lines) {
                    for (int s = 0, j = line.size() - 1; s < line.size(); j = s++) {
                        if ((line.y[s] > py) != (line.y[j] > py)
                                && px < (line.x[j] - line.x[s]) * (py - line.y[s]) / (line.y[j] - line.y[s]) + line.x[s]) {
                            inside = !inside;
                        }
                    }
                }
                int i = y * size + x;
                cover[i] = Math.max(cover[i], clamp(0.5 + (inside ? distance[i] : -distance[i]), 0, 1));
            }
        }
    }

    /** The two contours of a stroke of half-width {@code radius}, each line {@code 2 * half} pixels wide. */
    private static void contours(double[] cover, int size, List<Line> lines, double radius, double half) {
        double[] distance = distances(size, lines, radius + half + 1);
        for (int i = 0; i < cover.length; i++) {
            cover[i] = Math.max(cover[i], clamp(half - Math.abs(distance[i] - radius) + 0.5, 0, 1));
        }
    }

    /** Pixel-centre distance to the nearest segment, computed within {@code reach} of the lines (else MAX_VALUE). */
    private static double[] distances(int size, List<Line> lines, double reach) {
        double[] d = new double[size * size];
        Arrays.fill(d, Double.MAX_VALUE);
        for (Line line : lines) {
            for (int s = 0; s < line.segments(); s++) {
                int j = (s + 1) % line.size();
                Segment g = new Segment(line.x[s], line.y[s], line.x[j] - line.x[s], line.y[j] - line.y[s]);
                int[] box = g.pixels(Math.min(reach, 2.0 * size), size);
                for (int y = box[1]; y <= box[3]; y++) {
                    for (int x = box[0]; x <= box[2]; x++) {
                        double dist = g.distance(x, y, g.along(x, y));
                        int i = y * size + x;
                        if (dist < d[i]) {
                            d[i] = dist;
                        }
                    }
                }
            }
        }
        return d;
    }

    /** Discs of {@code radius} every {@code gap} pixels along each line, from its start. */
    private static void dots(double[] cover, int size, List<Line> lines, double radius, double gap) {
        for (Line line : lines) {
            double carried = 0; // distance along the line since the last dot
            segment(cover, size, line.x[0], line.y[0], line.x[0], line.y[0], radius, radius);
            for (int s = 0; s < line.segments(); s++) {
                int j = (s + 1) % line.size();
                double len = StrictMath.hypot(line.x[j] - line.x[s], line.y[j] - line.y[s]);
                double at = gap - carried;
                while (at <= len) {
                    double t = at / len;
                    double x = line.x[s] + t * (line.x[j] - line.x[s]);
                    double y = line.y[s] + t * (line.y[j] - line.y[s]);
                    segment(cover, size, x, y, x, y, radius, radius);
                    at += gap;
                }
                carried = len - (at - gap);
            }
        }
    }

    /** Stripes or checks at a random period and angle, between a floor of 0.25-0.5 and 1. */
    private static double[] inkTexture(int size, SplittableRandom rng) {
        boolean checks = rng.nextBoolean();
        double period = uniform(rng, 3, 6);
        double angle = uniform(rng, 0, Math.PI);
        double floor = uniform(rng, 0.25, 0.5);
        double phase = rng.nextDouble();
        double cos = StrictMath.cos(angle);
        double sin = StrictMath.sin(angle);
        double[] t = new double[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double u = (x * cos + y * sin) / period + phase;
                double v = (-x * sin + y * cos) / period;
                double w = checks ? StrictMath.sin(2 * Math.PI * u) * StrictMath.sin(2 * Math.PI * v) : StrictMath.sin(2 * Math.PI * u);
                t[y * size + x] = floor + (1 - floor) * (0.5 + 0.5 * w);
            }
        }
        return t;
    }

    /** A faint background pattern: three sine waves of random direction, amplitude up to 0.12 in all. */
    private static double[] backgroundTexture(int size, SplittableRandom rng) {
        double amplitude = uniform(rng, 0.04, 0.12) / 3;
        double[] t = new double[size * size];
        for (int k = 0; k < 3; k++) {
            double angle = uniform(rng, 0, Math.PI);
            double period = uniform(rng, 4, 16);
            double phase = rng.nextDouble();
            double cos = StrictMath.cos(angle);
            double sin = StrictMath.sin(angle);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    t[y * size + x] += amplitude * (1 + StrictMath.sin(2 * Math.PI * ((x * cos + y * sin) / period + phase)));
                }
            }
        }
        return t;
    }

    /** Separable Gaussian blur, edges extended. */
    private static double[] blur(double[] v, int size, double sigma) {
        int radius = (int) Math.ceil(2.5 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = StrictMath.exp(-(i * i) / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        double[] h = new double[v.length];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double acc = 0;
                for (int i = -radius; i <= radius; i++) {
                    acc += k[i + radius] * v[y * size + Math.min(size - 1, Math.max(0, x + i))];
                }
                h[y * size + x] = acc;
            }
        }
        double[] out = new double[v.length];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double acc = 0;
                for (int i = -radius; i <= radius; i++) {
                    acc += k[i + radius] * h[Math.min(size - 1, Math.max(0, y + i)) * size + x];
                }
                out[y * size + x] = acc;
            }
        }
        return out;
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    /** A standard normal value by Box-Muller with StrictMath (the JDK's Gaussian may change between versions). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble(); // (0, 1]
        double v = rng.nextDouble();
        return StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v);
    }

    private static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
}
