package dev.dacspark.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the AGO term remembers of finished tasks: per module, the B columns kept from every earlier
 * task, concatenated into P (d_out x m). Frozen: P never receives gradients.
 */
public final class TaskMemory implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> columns = new LinkedHashMap<>();

    public TaskMemory(NDManager manager) {
        this.manager = manager;
    }

    /** P of a module, or null when no earlier task was kept for it. */
    public NDArray get(String module) {
        return columns.get(module);
    }

    public Map<String, NDArray> all() {
        return Collections.unmodifiableMap(columns);
    }

    public boolean isEmpty() {
        return columns.isEmpty();
    }

    /** Appends a finished task's columns (d_out x k) for a module; they are copied and frozen. */
    public void append(String module, NDArray newColumns) {
        NDArray copy = keep(newColumns.stopGradient().duplicate());
        NDArray old = columns.get(module);
        if (old == null) {
            columns.put(module, copy);
        } else {
            NDArray joined = keep(old.concat(copy, 1));
            old.close();
            copy.close();
            columns.put(module, joined);
        }
    }

    /** Replaces a module's P (restoring a checkpoint). */
    public void put(String module, NDArray p) {
        NDArray old = columns.put(module, keep(p));
        if (old != null && old != p) {
            old.close();
        }
    }

    /** Moves an array to this memory's manager and out of any open NDScope. */
    private NDArray keep(NDArray a) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    @Override
    public void close() {
        columns.values().forEach(NDArray::close);
        columns.clear();
    }
}
