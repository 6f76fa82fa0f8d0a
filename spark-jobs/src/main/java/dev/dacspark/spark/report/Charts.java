package dev.dacspark.spark.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report's charts, made with JFreeChart and drawn as inline SVG with JFreeSVG (text stays text). */
final class Charts {
    private Charts() {}

    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font SMALL_TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 8);

    /**
     * A heatmap: {@code values[r][c]} (NaN: no cell) coloured on [lo, hi], row 0 at the top; each cell labelled with its
     * value in {@code cellFormat} unless that is null.
     */
    static JFreeChart heatmap(String title, List<String> rowLabels, String rowAxis, List<String> columnLabels, String columnAxis,
            double[][] values, double lo, double hi, String valueAxis, String cellFormat) {
        DefaultXYZDataset data = new DefaultXYZDataset();
        List<double[]> cells = new ArrayList<>();
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[r].length; c++) {
                if (!Double.isNaN(values[r][c])) {
                    cells.add(new double[] {c, r, values[r][c]});
                }
            }
        }
        double[][] series = new double[3][cells.size()];
        for (int i = 0; i < cells.size(); i++) {
            for (int k = 0; k < 3; k++) {
                series[k][i] = cells.get(i)[k];
            }
        }
        data.addSeries(valueAxis, series);

        Viridis scale = new Viridis(lo, hi);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        SymbolAxis x = symbolAxis(columnAxis, columnLabels);
        SymbolAxis y = symbolAxis(rowAxis, rowLabels);
        y.setInverted(true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setDomainAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        if (cellFormat != null) {
            for (double[] cell : cells) {
                XYTextAnnotation label = new XYTextAnnotation(String.format(Locale.ROOT, cellFormat, cell[2]), cell[0], cell[1]);
                label.setFont(TICKS);
                label.setPaint(scale.textOn(cell[2]));
                plot.addAnnotation(label);
            }
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        NumberAxis legendAxis = new NumberAxis(valueAxis);
        legendAxis.setRange(lo, hi);
        legendAxis.setTickLabelFont(TICKS);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(12);
        legend.setSubdivisionCount(32);
        legend.setMargin(new RectangleInsets(8, 8, 8, 8));
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Lines over categories (one line per row key of the dataset). */
    static JFreeChart lines(String title, String categoryAxis, String valueAxis, CategoryDataset data) {
        JFreeChart chart = ChartFactory.createLineChart(title, categoryAxis, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = style(chart, data.getColumnCount());
        LineAndShapeRenderer renderer = (LineAndShapeRenderer) plot.getRenderer();
        renderer.setDefaultShapesVisible(true);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return chart;
    }

    /** Grouped bars over categories (one bar colour per row key of the dataset). */
    static JFreeChart bars(String title, String categoryAxis, String valueAxis, CategoryDataset data) {
        JFreeChart chart = ChartFactory.createBarChart(title, categoryAxis, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = style(chart, data.getColumnCount());
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        return chart;
    }

    /** The chart as an {@code <svg>} element of the given size, scalable (viewBox), its definitions' ids prefixed by {@code id}. */
    static String svg(JFreeChart chart, int width, int height, String id) {
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        g2.setDefsKeyPrefix(id + "-");
        chart.draw(g2, new Rectangle2D.Double(0, 0, width, height));
        return g2.getSVGElement(id, true, new ViewBox(0, 0, width, height), null, null);
    }

    private static SymbolAxis symbolAxis(String label, List<String> symbols) {
        SymbolAxis axis = new SymbolAxis(label, symbols.toArray(String[]::new));
        axis.setGridBandsVisible(false);
        axis.setTickLabelFont(symbols.size() > 24 ? SMALL_TICKS : TICKS);
        axis.setRange(-0.5, symbols.size() - 0.5);
        return axis;
    }

    private static CategoryPlot style(JFreeChart chart, int categories) {
        chart.setBackgroundPaint(Color.WHITE);
        if (chart.getLegend() != null) {
            chart.getLegend().setFrame(BlockBorder.NONE);
        }
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        CategoryAxis axis = plot.getDomainAxis();
        axis.setTickLabelFont(TICKS);
        if (categories > 6) {
            axis.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        plot.getRangeAxis().setTickLabelFont(TICKS);
        return plot;
    }

    /** The viridis colour map on [lo, hi] (perceptually even, readable in grey), with a legible text colour per cell. */
    static final class Viridis implements PaintScale {
        private static final int[] STOPS = {0x440154, 0x3B528B, 0x21918C, 0x5EC962, 0xFDE725};
        private final double lo;
        private final double hi;

        Viridis(double lo, double hi) {
            if (!(hi > lo)) {
                throw new IllegalArgumentException("a colour scale needs lo < hi, got [" + lo + ", " + hi + "]");
            }
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        public double getLowerBound() {
            return lo;
        }

        @Override
        public double getUpperBound() {
            return hi;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Math.max(0, Math.min(1, (value - lo) / (hi - lo))) * (STOPS.length - 1);
            int i = Math.min((int) t, STOPS.length - 2);
            double f = t - i;
            Color a = new Color(STOPS[i]);
            Color b = new Color(STOPS[i + 1]);
            return new Color(mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f), mix(a.getBlue(), b.getBlue(), f));
        }

        Color textOn(double value) {
            return (value - lo) / (hi - lo) < 0.6 ? Color.WHITE : Color.BLACK;
        }

        private static int mix(int a, int b, double f) {
            return (int) Math.round(a + (b - a) * f);
        }
    }
}
