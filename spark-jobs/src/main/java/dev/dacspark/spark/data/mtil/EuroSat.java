package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * EuroSAT RGB (torchvision EuroSAT, an ImageFolder over {@code 2750}): classes the sorted class
 * folders, samples per class in ImageFolder's order (sorted walk, sorted file names, image
 * extensions only); the reference's random 80/20 split.
 */
final class EuroSat implements MtilReader {
    /** torchvision's IMG_EXTENSIONS, matched case-insensitively as ImageFolder does. */
    static final Set<String> IMAGE_EXTENSIONS = Set.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp");

    @Override
    public List<String> requiredFiles() {
        return List.of(); // the folder itself
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<String> classes = folder.directories("");
        List<MtilSample> ordered = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            for (String f : imageFolderOrder(folder.files(classes.get(label)))) {
                ordered.add(MtilSample.file(f, label, null));
            }
        }
        return new MtilListing(Readers.underlineToSpace(classes), classes, Readers.randomSplit(ordered),
                Map.of("train", folder.uri(""), "test", folder.uri("")), Readers.RANDOM_SPLIT_RULE);
    }

    /** ImageFolder's order of a class's files: sorted(os.walk) by directory, then sorted names; images only. */
    static List<String> imageFolderOrder(List<String> files) {
        List<String> images = new ArrayList<>();
        for (String f : files) {
            String lower = f.toLowerCase(Locale.ROOT);
            int dot = lower.lastIndexOf('.');
            if (dot >= 0 && IMAGE_EXTENSIONS.contains(lower.substring(dot))) {
                images.add(f);
            }
        }
        images.sort((a, b) -> {
            int c = DatasetFolder.PYTHON_ORDER.compare(parent(a), parent(b));
            return c != 0 ? c : DatasetFolder.PYTHON_ORDER.compare(a, b);
        });
        return images;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
