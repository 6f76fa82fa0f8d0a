package dev.dacspark.data.glyphs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One pen stroke of a glyph: a polyline through points, closed (back to its first point) or open. Glyph
 * definitions use units where the glyph is about one high, y pointing down.
 */
record Stroke(double[] xs, double[] ys, boolean closed) {

    Stroke {
        if (xs.length != ys.length || xs.length < 1) {
            throw new IllegalArgumentException("a stroke needs as many x as y values, at least one, got " + xs.length + " and " + ys.length);
        }
    }

    int size() {
        return xs.length;
    }

    /** An open polyline through (x0, y0), (x1, y1), ... (one point: where a {@link #path} goes next). */
    static Stroke line(double... xy) {
        return fromPairs(xy, false);
    }

    /** A closed polygon through (x0, y0), (x1, y1), ... */
    static Stroke polygon(double... xy) {
        return fromPairs(xy, true);
    }

    private static Stroke fromPairs(double[] xy, boolean closed) {
        if (xy.length % 2 != 0) {
            throw new IllegalArgumentException("coordinates come in x, y pairs, got " + xy.length + " values");
        }
        double[] xs = new double[xy.length / 2];
        double[] ys = new double[xy.length / 2];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = xy[2 * i];
            ys[i] = xy[2 * i + 1];
        }
        return new Stroke(xs, ys, closed);
    }

    /**
     * The elliptic arc around (cx, cy) with radii rx, ry from angle {@code from} to {@code to} in degrees (0 =
     * right, 90 = down, as y points down; {@code to < from} runs the other way), as points at most 10 degrees apart.
     */
    static Stroke arc(double cx, double cy, double rx, double ry, double from, double to) {
        int n = Math.max(2, (int) Math.ceil(Math.abs(to - from) / 10.0) + 1);
        double[] xs = new double[n];
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            double a = StrictMath.toRadians(from + (to - from) * i / (n - 1));
            xs[i] = cx + rx * StrictMath.cos(a);
            ys[i] = cy + ry * StrictMath.sin(a);
        }
        return new Stroke(xs, ys, false);
    }

    /** A full ellipse as a closed stroke. */
    static Stroke ellipse(double cx, double cy, double rx, double ry) {
        Stroke a = arc(cx, cy, rx, ry, 0, 360);
        return new Stroke(Arrays.copyOf(a.xs, a.size() - 1), Arrays.copyOf(a.ys, a.size() - 1), true);
    }

    /** One open stroke through the parts in order (a point repeated where two parts meet is kept once). */
    static Stroke path(Stroke... parts) {
        List<double[]> points = new ArrayList<>();
        for (Stroke p : parts) {
            for (int i = 0; i < p.size(); i++) {
                double[] last = points.isEmpty() ? null : points.get(points.size() - 1);
                if (last == null || Math.abs(last[0] - p.xs[i]) > 1e-9 || Math.abs(last[1] - p.ys[i]) > 1e-9) {
                    points.add(new double[] {p.xs[i], p.ys[i]});
                }
            }
        }
        double[] xs = new double[points.size()];
        double[] ys = new double[points.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = points.get(i)[0];
            ys[i] = points.get(i)[1];
        }
        return new Stroke(xs, ys, false);
    }
}
