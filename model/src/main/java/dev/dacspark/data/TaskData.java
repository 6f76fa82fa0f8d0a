package dev.dacspark.data;

import java.util.List;

/**
 * A task of the continual sequence: a dataset with its class names, prompt templates and labelled
 * samples per split. Folders implement it now ({@link ImageFolderTask}); the Spark pipeline adds
 * Parquet shards behind the same interface.
 */
public interface TaskData {
    String name();

    /** Class names, indexed by label. */
    List<String> classNames();

    /** Prompt templates with "{}" for the class name. */
    List<String> templates();

    /** The samples of a split, in a stable order. */
    List<Sample> samples(Split split);
}
