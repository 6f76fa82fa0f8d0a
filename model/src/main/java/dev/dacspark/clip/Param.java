package dev.dacspark.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

/**
 * One named tensor of a {@link Module}: its declared shape, its value once loaded or initialised,
 * and whether an optimiser trains it. Values can be replaced (loading, merging); the shape cannot.
 */
public final class Param {
    private final String name;
    private final Shape shape;
    private NDArray array;
    private boolean trainable;

    Param(String name, Shape shape) {
        this.name = name;
        this.shape = shape;
    }

    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    public boolean isSet() {
        return array != null;
    }

    /** The value; fails with the parameter's name when it was never loaded or initialised. */
    public NDArray array() {
        if (array == null) {
            throw new IllegalStateException("parameter '" + name + "' " + shape + " has no value (not loaded or initialised)");
        }
        return array;
    }

    /**
     * Sets the value, which must have the declared shape; the previous value is closed. A trainable
     * parameter's new value requires a gradient. The value outlives any open {@link NDScope}.
     */
    public void set(NDArray value) {
        if (!value.getShape().equals(shape)) {
            throw new IllegalArgumentException("parameter '" + name + "': expected shape " + shape + ", got " + value.getShape());
        }
        if (array != null && array != value) {
            array.close();
        }
        NDScope.unregister(value);
        array = value;
        array.setRequiresGradient(trainable);
    }

    public boolean trainable() {
        return trainable;
    }

    /** Marks the parameter trained (it then records gradients) or frozen. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        if (array != null) {
            array.setRequiresGradient(trainable);
        }
    }

    public long numel() {
        return shape.size();
    }
}
