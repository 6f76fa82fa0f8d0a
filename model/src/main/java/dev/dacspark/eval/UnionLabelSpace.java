package dev.dacspark.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The X-TAIL label space of a task stream: the union of every task's class names, in stream order (task 1's
 * names, then task 2's new ones, ...), a name that several tasks have being one class of the union. A test
 * image of task t with label l is right when the prediction is the union class {@code column(t, l)}; a
 * prediction of a class that only another task has is wrong.
 *
 * <p>RAIL's code (primal_RAIL.py, dual_RAIL.py) concatenates the tasks' lists and scores with one template, so a
 * name in two tasks is two identical columns whose argmax is a tie; one column per distinct name is that
 * classifier with the tie counted as right for both tasks.
 */
public final class UnionLabelSpace {
    private final List<String> classNames;
    private final int[][] columns;

    private UnionLabelSpace(List<String> classNames, int[][] columns) {
        this.classNames = List.copyOf(classNames);
        this.columns = columns;
    }

    /** The union of {@code taskClassNames} (one list per task, in stream order); names are compared exactly. */
    public static UnionLabelSpace of(List<List<String>> taskClassNames) {
        Map<String, Integer> index = new LinkedHashMap<>();
        int[][] columns = new int[taskClassNames.size()][];
        for (int t = 0; t < columns.length; t++) {
            List<String> names = taskClassNames.get(t);
            columns[t] = new int[names.size()];
            for (int l = 0; l < names.size(); l++) {
                columns[t][l] = index.computeIfAbsent(names.get(l), n -> index.size());
            }
        }
        return new UnionLabelSpace(new ArrayList<>(index.keySet()), columns);
    }

    /** The distinct class names, each once, in the order they first appear in the stream. */
    public List<String> classNames() {
        return classNames;
    }

    /** The union class of each label of task {@code task} (0-based): {@code columns(task)[label]}. */
    public int[] columns(int task) {
        return columns[task].clone();
    }
}
