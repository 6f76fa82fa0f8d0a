package dev.dacspark.spark.data.mtil;

import java.util.List;
import java.util.Map;

/**
 * A dataset as the reference reads it.
 *
 * @param classNames   by label, after the reference's '_' -> ' '; null when the dataset ships none
 *                     (Flowers: the benchmark's hard-coded list names its classes)
 * @param classIds     by label, what the dataset itself calls the class (folder, variant, class id)
 * @param samples      train samples, then test samples, each in the reference's order
 * @param splitSources split -> the file (or listing) its samples come from, for messages
 * @param splitRule    how the split is made, as _task.json records it
 */
public record MtilListing(List<String> classNames, List<String> classIds, List<MtilSample> samples,
        Map<String, String> splitSources, String splitRule) {

    public long count(String split) {
        return samples.stream().filter(s -> s.split().equals(split)).count();
    }
}
