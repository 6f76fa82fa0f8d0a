package dev.dacspark.spark.data.mtil;

import dev.dacspark.data.IdxFile;
import dev.dacspark.spark.data.DatasetFolder;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MNIST (torchvision MNIST, {@code MNIST/raw}): the IDX files {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-*} (each also read gzip-compressed, as downloaded),
 * samples in file order, classes torchvision's {@code MNIST.classes}.
 */
final class Mnist implements MtilReader {
    static final List<String> CLASSES = List.of("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
            "6 - six", "7 - seven", "8 - eight", "9 - nine");
    private static final Map<String, String> PREFIX = Map.of("train", "train", "test", "t10k");

    @Override
    public List<String> requiredFiles() {
        return List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
    }

    @Override
    public List<String> missingFiles(DatasetFolder folder) {
        return requiredFiles().stream().filter(f -> resolve(folder, f) == null).map(f -> f + "[.gz]").toList();
    }

    /** The file, or its .gz, or null. */
    private static String resolve(DatasetFolder folder, String file) {
        return folder.isFile(file) ? file : folder.isFile(file + ".gz") ? file + ".gz" : null;
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        List<MtilSample> samples = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String images = present(folder, PREFIX.get(split) + "-images-idx3-ubyte");
            String labels = present(folder, PREFIX.get(split) + "-labels-idx1-ubyte");
            sources.put(split, folder.uri(images));
            IdxFile.Images idx = IdxFile.readImages(new ByteArrayInputStream(folder.read(images)), folder.uri(images));
            byte[] y = IdxFile.readLabels(new ByteArrayInputStream(folder.read(labels)), folder.uri(labels));
            if (y.length != idx.count()) {
                throw new IllegalArgumentException(folder.uri(images) + " has " + idx.count() + " images but " + folder.uri(labels)
                        + " has " + y.length + " labels");
            }
            for (int i = 0; i < idx.count(); i++) {
                int label = y[i] & 0xff;
                if (label >= CLASSES.size()) {
                    throw new IllegalArgumentException(folder.uri(labels) + ": label " + label + " of item " + i + " is not a digit");
                }
                samples.add(MtilSample.inline(String.format("%s/%05d", split, i), idx.image(i), idx.cols(), idx.rows(), 1, label, split));
            }
        }
        List<String> ids = CLASSES.stream().map(c -> c.substring(0, 1)).toList();
        return new MtilListing(CLASSES, ids, samples, sources, "official train / test");
    }

    private static String present(DatasetFolder folder, String file) {
        String f = resolve(folder, file);
        if (f == null) {
            throw new IllegalArgumentException(folder.uri(file) + " (or " + file + ".gz) does not exist");
        }
        return f;
    }
}
