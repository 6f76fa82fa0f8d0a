package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;
import dev.dacspark.spark.data.TorchImageFolder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * EuroSAT RGB (torchvision EuroSAT, an ImageFolder over {@code 2750}): classes the sorted class
 * folders, samples per class in ImageFolder's order (sorted walk, sorted file names, image
 * extensions only); the reference's random 80/20 split.
 */
final class EuroSat implements MtilReader {
    @Override
    public List<String> requiredFiles() {
        return List.of(); // the folder itself
    }

    @Override
    public boolean listsItsFiles() {
        return true;
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> classes = folder.directories("");
        List<MtilSample> ordered = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            for (String f : folder.files(classes.get(label)).stream().filter(TorchImageFolder::isImage).sorted(TorchImageFolder.ORDER).toList()) {
                ordered.add(MtilSample.file(f, label, null));
            }
        }
        return new MtilListing(Readers.underlineToSpace(classes), classes, Readers.randomSplit(ordered),
                Map.of("train", folder.uri(""), "test", folder.uri("")), Readers.RANDOM_SPLIT_RULE);
    }
}
