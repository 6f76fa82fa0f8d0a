package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.List;

/** Reads one MTIL dataset from its folder as distributed, the way the reference's torchvision class does. */
interface MtilReader {
    /** The files and folders (relative to the dataset's folder) the reader needs; a trailing '/' marks a folder. */
    List<String> requiredFiles();

    MtilListing read(DatasetFolder folder);

    /** The required files that are missing. */
    default List<String> missingFiles(DatasetFolder folder) {
        return requiredFiles().stream()
                .filter(f -> f.endsWith("/") ? !folder.isDirectory(f.substring(0, f.length() - 1)) : !folder.isFile(f))
                .toList();
    }
}
