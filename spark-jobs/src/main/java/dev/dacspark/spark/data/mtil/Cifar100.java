package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CIFAR-100, python version (torchvision CIFAR100): the pickles {@code train}, {@code test} and
 * {@code meta}; {@code data} is a uint8 array N x 3072 (the R, G and B planes of a 32 x 32 image),
 * {@code fine_labels} the labels, {@code meta['fine_label_names']} the classes; array order.
 */
final class Cifar100 implements MtilReader {
    static final int SIDE = 32;

    @Override
    public List<String> requiredFiles() {
        return List.of("train", "test", "meta");
    }

    @Override
    public MtilListing read(DatasetFolder folder) {
        Map<String, Object> meta = PythonPickle.dict(PythonPickle.load(folder.read("meta"), folder.uri("meta")), folder.uri("meta"));
        List<String> classes = PythonPickle.strings(meta, "fine_label_names", folder.uri("meta"));
        List<MtilSample> samples = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String uri = folder.uri(split);
            sources.put(split, uri);
            Map<String, Object> batch = PythonPickle.dict(PythonPickle.load(folder.read(split), uri), uri);
            List<Integer> labels = PythonPickle.ints(batch, "fine_labels", uri);
            PythonPickle.NumpyArray data = PythonPickle.array(batch, "data", uri);
            int plane = SIDE * SIDE;
            if (!data.dtype().endsWith("u1") || data.shape().length != 2 || data.shape()[1] != 3 * plane || data.fortranOrder()) {
                throw new IllegalArgumentException(uri + ": 'data' is a " + data.dtype() + " array of shape " + Arrays.toString(data.shape())
                        + (data.fortranOrder() ? " (Fortran order)" : "") + ", expected uint8 N x 3072 in C order");
            }
            if (data.shape()[0] != labels.size()) {
                throw new IllegalArgumentException(uri + ": " + data.shape()[0] + " images but " + labels.size() + " fine_labels");
            }
            byte[] all = data.data();
            for (int i = 0; i < labels.size(); i++) {
                int label = labels.get(i);
                if (label < 0 || label >= classes.size()) {
                    throw new IllegalArgumentException(uri + ": fine_labels[" + i + "] = " + label + ", not one of meta's " + classes.size() + " classes");
                }
                byte[] rgb = new byte[3 * plane]; // planes R, G, B -> interleaved (height x width x 3)
                int base = i * 3 * plane;
                for (int p = 0; p < plane; p++) {
                    rgb[3 * p] = all[base + p];
                    rgb[3 * p + 1] = all[base + plane + p];
                    rgb[3 * p + 2] = all[base + 2 * plane + p];
                }
                samples.add(MtilSample.inline(String.format("%s/%05d", split, i), rgb, SIDE, SIDE, 3, label, split));
            }
        }
        return new MtilListing(Readers.underlineToSpace(classes), classes, samples, sources, "official train / test");
    }
}
