package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.List;

/** Reads one MTIL dataset from its folder as distributed, the way the reference's torchvision class does. */
interface MtilReader {
    /** The files and folders (relative to the dataset's folder) the reader needs; a trailing '/' marks a folder. */
    List<String> requiredFiles();

    MtilListing read(DatasetFolder folder);

    /**
     * True when every sample's file comes from a listing of the folder (so it exists), false when the
     * reader takes names from a split file or builds them (then {@code mtil check} lists the folder to
     * find the ones missing).
     */
    default boolean listsItsFiles() {
        return false;
    }

    /** The required files that are missing. */
    default List<String> missingFiles(DatasetFolder folder) {
        return requiredFiles().stream()
                .filter(f -> f.endsWith("/") ? !folder.isDirectory(f.substring(0, f.length() - 1)) : !folder.isFile(f))
                .toList();
    }
}
