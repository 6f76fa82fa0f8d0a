package dev.dacspark.data;

/** The splits of a task's data. */
public enum Split {
    TRAIN("train"), TEST("test");

    public final String dirName;

    Split(String dirName) {
        this.dirName = dirName;
    }
}
