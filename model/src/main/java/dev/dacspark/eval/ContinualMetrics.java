package dev.dacspark.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MTIL metrics of an accuracy matrix acc[i][j] = accuracy on dataset j after training task i
 * (i, j = 1..n; row 0, optional, is the zero-shot model):
 * <ul>
 *   <li>Transfer_j = mean over i < j of acc[i][j] (datasets not yet learned), for j = 2..n;
 *       Transfer = mean of Transfer_j;</li>
 *   <li>Average_j = mean over i = 1..n of acc[i][j]; Average = mean of Average_j;</li>
 *   <li>Last_j = acc[n][j]; Last = mean of Last_j;</li>
 *   <li>Forgetting_j = max over i = j..n-1 of acc[i][j] - acc[n][j] (the best accuracy on dataset j after
 *       learning it, minus the final one), for j = 1..n-1; Forgetting = mean of Forgetting_j.</li>
 * </ul>
 */
public final class ContinualMetrics {
    private final List<String> datasets;
    private final double[] zeroShot; // may be null
    private final double[][] acc;    // n x n, acc[i-1][j-1]

    private ContinualMetrics(List<String> datasets, double[] zeroShot, double[][] acc) {
        this.datasets = List.copyOf(datasets);
        this.zeroShot = zeroShot;
        this.acc = acc;
    }

    /**
     * @param datasets        the n datasets in training order
     * @param rows            the matrix rows: n rows (one after each task), or n + 1 with the
     *                        zero-shot row first when {@code zeroShotRowFirst}
     */
    public static ContinualMetrics of(List<String> datasets, double[][] rows, boolean zeroShotRowFirst) {
        int n = datasets.size();
        if (n == 0) {
            throw new IllegalArgumentException("the accuracy matrix needs at least one dataset");
        }
        int expected = zeroShotRowFirst ? n + 1 : n;
        if (rows.length != expected) {
            throw new IllegalArgumentException("the accuracy matrix of " + n + " datasets needs " + expected + " rows ("
                    + (zeroShotRowFirst ? "the zero-shot row, then one per task" : "one per task") + "), got " + rows.length
                    + (zeroShotRowFirst && rows.length == n ? ": the zero-shot row is missing" : ""));
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != n) {
                throw new IllegalArgumentException("row " + i + " of the accuracy matrix has " + rows[i].length
                        + " entries, expected one per dataset (" + n + ")");
            }
        }
        double[] zs = zeroShotRowFirst ? rows[0].clone() : null;
        double[][] acc = new double[n][];
        for (int i = 0; i < n; i++) {
            acc[i] = rows[zeroShotRowFirst ? i + 1 : i].clone();
        }
        return new ContinualMetrics(datasets, zs, acc);
    }

    public List<String> datasets() {
        return datasets;
    }

    public double[] zeroShotRow() {
        if (zeroShot == null) {
            throw new IllegalStateException("this accuracy matrix has no zero-shot row");
        }
        return zeroShot.clone();
    }

    /** acc after training task i (1-based) on dataset j (1-based). */
    public double acc(int i, int j) {
        return acc[i - 1][j - 1];
    }

    public int tasks() {
        return datasets.size();
    }

    /** Transfer of dataset j (1-based, j >= 2). */
    public double transfer(int j) {
        if (j < 2 || j > tasks()) {
            throw new IllegalArgumentException("Transfer is defined for datasets 2.." + tasks() + ", not " + j);
        }
        double s = 0;
        for (int i = 1; i < j; i++) {
            s += acc(i, j);
        }
        return s / (j - 1);
    }

    /** Mean Transfer over datasets 2..n; needs at least two tasks. */
    public double transfer() {
        if (tasks() < 2) {
            throw new IllegalStateException("Transfer needs at least two tasks (it averages accuracy on datasets not yet learned); this run has " + tasks());
        }
        double s = 0;
        for (int j = 2; j <= tasks(); j++) {
            s += transfer(j);
        }
        return s / (tasks() - 1);
    }

    public double average(int j) {
        double s = 0;
        for (int i = 1; i <= tasks(); i++) {
            s += acc(i, j);
        }
        return s / tasks();
    }

    public double average() {
        double s = 0;
        for (int j = 1; j <= tasks(); j++) {
            s += average(j);
        }
        return s / tasks();
    }

    public double last(int j) {
        return acc(tasks(), j);
    }

    public double last() {
        double s = 0;
        for (int j = 1; j <= tasks(); j++) {
            s += last(j);
        }
        return s / tasks();
    }

    /** Forgetting of dataset j (1-based, j < n): its best accuracy after it was learned, minus the last. */
    public double forgetting(int j) {
        if (j < 1 || j >= tasks()) {
            throw new IllegalArgumentException("Forgetting is defined for datasets 1.." + (tasks() - 1) + ", not " + j);
        }
        double best = Double.NEGATIVE_INFINITY;
        for (int i = j; i < tasks(); i++) {
            best = Math.max(best, acc(i, j));
        }
        return best - last(j);
    }

    /** Mean Forgetting over datasets 1..n-1; needs at least two tasks. */
    public double forgetting() {
        if (tasks() < 2) {
            throw new IllegalStateException("Forgetting needs at least two tasks (the last task is never forgotten); this run has " + tasks());
        }
        double s = 0;
        for (int j = 1; j < tasks(); j++) {
            s += forgetting(j);
        }
        return s / (tasks() - 1);
    }

    /** Summary and per-dataset figures (Transfer absent for the first dataset, and with one task). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("datasets", datasets);
        if (zeroShot != null) {
            m.put("zero_shot", Arrays.stream(zeroShot).boxed().toList());
        }
        List<List<Double>> rows = new ArrayList<>();
        for (double[] r : acc) {
            rows.add(Arrays.stream(r).boxed().toList());
        }
        m.put("accuracy", rows);
        if (tasks() >= 2) {
            m.put("transfer", transfer());
        }
        m.put("average", average());
        m.put("last", last());
        Map<String, Map<String, Double>> per = new LinkedHashMap<>();
        for (int j = 1; j <= tasks(); j++) {
            Map<String, Double> d = new LinkedHashMap<>();
            if (j >= 2) {
                d.put("transfer", transfer(j));
            }
            d.put("average", average(j));
            d.put("last", last(j));
            per.put(datasets.get(j - 1), d);
        }
        m.put("per_dataset", per);
        return m;
    }

    /** An accuracy row for a log line: "[92.3, 71.7, 26.9]". */
    public static String formatRow(double[] row) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < row.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.1f", row[i]));
        }
        return sb.append(']').toString();
    }
}
