package dev.dacspark.spark.data.mtil;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * A miniature copy of each of the 11 MTIL datasets in its layout as distributed, in the real file
 * formats (JPEGs, MATLAB v5 files, Python 2 pickles with numpy arrays, IDX files), with the datasets'
 * tricky names, and what the reference makes of each sample: its label, class name and split,
 * worked out here from ../shared/reference/mtil-native.md, not by the readers. The datasets whose
 * benchmark names are hard-coded (Caltech101, EuroSAT, Flowers) have their full class count, so the
 * shipped conf/mtil.conf applies as it is.
 */
final class MtilFixtures {
    private MtilFixtures() {}

    /** What the reference makes of one sample. */
    record Expected(int label, String name, String split) {}

    /**
     * torch.randperm(n, generator seeded 42) for the three randomly split miniatures, computed with
     * CPython's own Mersenne Twister (its state set to init_genrand(42)); TorchRandomSplitTest pins
     * the method against torch.
     */
    static final int[] PERM_151 = {114, 18, 137, 89, 148, 90, 36, 75, 104, 66, 2, 65, 30, 127, 98, 35, 6, 68, 111, 149, 96, 87, 143,
            110, 144, 128, 67, 24, 19, 25, 23, 31, 26, 138, 51, 55, 115, 93, 70, 145, 78, 123, 32, 82, 94, 4, 27, 101, 48, 102, 61, 60,
            71, 100, 77, 74, 121, 16, 21, 42, 37, 91, 95, 13, 124, 120, 119, 83, 135, 146, 0, 80, 133, 69, 81, 11, 109, 150, 40, 33, 107,
            43, 141, 106, 9, 15, 17, 103, 99, 140, 45, 79, 72, 44, 8, 64, 122, 34, 22, 139, 52, 97, 136, 38, 142, 20, 59, 126, 49, 56, 113,
            125, 5, 58, 131, 53, 116, 134, 92, 88, 29, 10, 130, 118, 7, 50, 85, 86, 28, 46, 12, 84, 76, 132, 63, 147, 117, 105, 108, 14,
            129, 57, 3, 54, 62, 1, 73, 47, 39, 41, 112};
    static final int[] PERM_38 = {34, 26, 18, 22, 28, 37, 0, 24, 2, 5, 7, 33, 30, 17, 29, 10, 31, 12, 25, 36, 11, 27, 23, 6, 21, 13, 16,
            9, 35, 8, 3, 19, 20, 15, 4, 1, 32, 14};
    static final int[] PERM_12 = {6, 8, 1, 7, 0, 2, 10, 11, 4, 3, 5, 9};

    /** Writes all 11 under root (each in its folder as distributed); per dataset, sample id -> expected. */
    static Map<MtilDataset, Map<String, Expected>> writeAll(Path root, List<String> caltechNames, List<String> eurosatNames,
            List<String> flowersNames) throws IOException {
        Map<MtilDataset, Map<String, Expected>> all = new LinkedHashMap<>();
        all.put(MtilDataset.AIRCRAFT, aircraft(root.resolve(MtilDataset.AIRCRAFT.folder)));
        all.put(MtilDataset.CALTECH101, caltech101(root.resolve(MtilDataset.CALTECH101.folder), caltechNames));
        all.put(MtilDataset.CIFAR100, cifar100(root.resolve(MtilDataset.CIFAR100.folder)));
        all.put(MtilDataset.DTD, dtd(root.resolve(MtilDataset.DTD.folder)));
        all.put(MtilDataset.EUROSAT, eurosat(root.resolve(MtilDataset.EUROSAT.folder), eurosatNames));
        all.put(MtilDataset.FLOWERS, flowers(root.resolve(MtilDataset.FLOWERS.folder), flowersNames));
        all.put(MtilDataset.FOOD, food(root.resolve(MtilDataset.FOOD.folder)));
        all.put(MtilDataset.MNIST, mnist(root.resolve(MtilDataset.MNIST.folder)));
        all.put(MtilDataset.OXFORD_PET, oxfordPet(root.resolve(MtilDataset.OXFORD_PET.folder)));
        all.put(MtilDataset.STANFORD_CARS, stanfordCars(root.resolve(MtilDataset.STANFORD_CARS.folder)));
        all.put(MtilDataset.SUN397, sun397(root.resolve(MtilDataset.SUN397.folder)));
        return all;
    }

    /** variants.txt deliberately not sorted; 3 train and 1 test image per variant. */
    static Map<String, Expected> aircraft(Path dir) throws IOException {
        List<String> variants = List.of("F/A-18", "707-320", "Cessna_172", "A300B4");
        write(dir.resolve("variants.txt"), String.join("\n", variants) + "\n");
        Map<String, Expected> expected = new LinkedHashMap<>();
        int id = 1034309;
        for (String split : List.of("train", "test")) {
            StringBuilder lines = new StringBuilder();
            for (int round = 0; round < (split.equals("train") ? 3 : 1); round++) {
                for (int label = 0; label < variants.size(); label++) {
                    String image = String.format("%07d", id++);
                    lines.append(image).append(' ').append(variants.get(label)).append('\n');
                    jpeg(dir.resolve("images/" + image + ".jpg"), label);
                    expected.put("images/" + image + ".jpg", new Expected(label, variants.get(label).replace('_', ' '), split));
                }
            }
            write(dir.resolve("images_variant_" + split + ".txt"), lines.toString());
        }
        return expected;
    }

    /**
     * 101 categories (four upper-case ones first in Python's order) with 1 or 2 images, plus
     * BACKGROUND_Google (left out): 151 samples in the reference's order, split by PERM_151.
     */
    static Map<String, Expected> caltech101(Path dir, List<String> names) throws IOException {
        List<String> categories = new ArrayList<>(List.of("Faces", "Faces_easy", "Leopards", "Motorbikes"));
        for (int i = 4; i < 101; i++) {
            categories.add(String.format("c%03d_thing", i));
        }
        for (int i = 1; i <= 2; i++) {
            jpeg(dir.resolve(String.format("BACKGROUND_Google/image_%04d.jpg", i)), 7);
        }
        List<String> order = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int label = 0; label < categories.size(); label++) {
            int n = 1 + label % 2;
            for (int i = 1; i <= n; i++) {
                String file = String.format("%s/image_%04d.jpg", categories.get(label), i);
                jpeg(dir.resolve(file), label);
                order.add(file);
                labels.add(label);
            }
        }
        return randomlySplit(order, labels, names, PERM_151);
    }

    /** 100 classes, 2 train and 1 test image each, in the pickles' R, G, B planes. */
    static Map<String, Expected> cifar100(Path dir) throws IOException {
        List<String> fine = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            fine.add(i == 1 ? "aquarium_fish" : String.format("class_%02d", i));
        }
        List<String> coarse = List.of("aquatic_mammals", "fish");
        Files.createDirectories(dir);
        PickleWriter.cifarMeta(dir.resolve("meta"), fine, coarse);
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? 200 : 100;
            int[] labels = new int[n];
            byte[] data = new byte[n * 3072];
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                labels[i] = (i * 37) % 100;
                for (int p = 0; p < 3072; p++) {
                    data[i * 3072 + p] = (byte) (p < 1024 ? labels[i] * 2 : p < 2048 ? 255 - i : (p * 7) & 0xff);
                }
                names.add("img_" + i + ".png");
                expected.put(String.format("%s/%05d", split, i), new Expected(labels[i], fine.get(labels[i]).replace('_', ' '), split));
            }
            PickleWriter.cifarBatch(dir.resolve(split), names, labels, new int[n], data);
        }
        return expected;
    }

    /** 3 classes; 'banded' has 7 train images, so 5-shot picks 5 of them. */
    static Map<String, Expected> dtd(Path dir) throws IOException {
        List<String> classes = List.of("banded", "bubbly", "zig_zagged");
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            StringBuilder lines = new StringBuilder();
            for (int label = classes.size() - 1; label >= 0; label--) { // file order is not label order
                int n = split.equals("train") ? (label == 0 ? 7 : 2) : 1;
                for (int i = 0; i < n; i++) {
                    String rel = classes.get(label) + "/" + classes.get(label) + "_" + split + "_" + i + ".jpg";
                    jpeg(dir.resolve("images/" + rel), label);
                    lines.append(rel).append('\n');
                    expected.put("images/" + rel, new Expected(label, classes.get(label).replace('_', ' '), split));
                }
            }
            write(dir.resolve("labels/" + split + "1.txt"), lines.toString());
        }
        write(dir.resolve("labels/val1.txt"), "");
        return expected;
    }

    /** EuroSAT's 10 classes, 3 images each and Forest 11 (so Forest_10 sorts before Forest_2): 38 samples, PERM_38. */
    static Map<String, Expected> eurosat(Path dir, List<String> names) throws IOException {
        List<String> classes = List.of("AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
                "PermanentCrop", "Residential", "River", "SeaLake");
        List<String> order = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            int n = classes.get(label).equals("Forest") ? 11 : 3;
            List<String> files = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                files.add(classes.get(label) + "/" + classes.get(label) + "_" + i + ".jpg");
            }
            files.sort(null); // sorted names: _1, _10, _11, _2, ...
            for (String f : files) {
                jpeg(dir.resolve(f), label);
                order.add(f);
                labels.add(label);
            }
        }
        return randomlySplit(order, labels, names, PERM_38);
    }

    /** 102 classes, 3 images each (ids interleaved across classes): trnid, valid, tstid one each. */
    static Map<String, Expected> flowers(Path dir, List<String> names) throws IOException {
        int classes = 102;
        int[] labels = new int[3 * classes];
        int[] trn = new int[classes];
        int[] val = new int[classes];
        int[] tst = new int[classes];
        for (int id = 1; id <= labels.length; id++) {
            labels[id - 1] = 1 + (id * 5) % classes; // 1-based
            jpeg(dir.resolve(String.format("jpg/image_%05d.jpg", id)), labels[id - 1]);
        }
        for (int c = 0; c < classes; c++) {
            trn[c] = 1 + c;                 // ids in these orders, not sorted by label
            val[c] = 1 + classes + c;
            tst[c] = labels.length - c;
        }
        MatWriter.flowersLabels(dir.resolve("imagelabels.mat"), labels);
        MatWriter.flowersSetId(dir.resolve("setid.mat"), trn, val, tst);
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (int id : trn) {
            expected.put(String.format("jpg/image_%05d.jpg", id), new Expected(labels[id - 1] - 1, names.get(labels[id - 1] - 1), "train"));
        }
        for (int id : tst) {
            expected.put(String.format("jpg/image_%05d.jpg", id), new Expected(labels[id - 1] - 1, names.get(labels[id - 1] - 1), "test"));
        }
        return expected;
    }

    /** 3 classes listed out of sorted order in the json. */
    static Map<String, Expected> food(Path dir) throws IOException {
        List<String> inFile = List.of("tacos", "apple_pie", "baby_back_ribs");
        List<String> sorted = List.of("apple_pie", "baby_back_ribs", "tacos");
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            Map<String, List<String>> meta = new LinkedHashMap<>();
            for (String c : inFile) {
                List<String> images = new ArrayList<>();
                for (int i = 0; i < (split.equals("train") ? 2 : 1); i++) {
                    String rel = c + "/" + (split.equals("train") ? 1000 + i : 2000 + i) + c.length();
                    jpeg(dir.resolve("images/" + rel + ".jpg"), sorted.indexOf(c));
                    images.add(rel);
                    expected.put("images/" + rel + ".jpg", new Expected(sorted.indexOf(c), c.replace('_', ' '), split));
                }
                meta.put(c, images);
            }
            Files.createDirectories(dir.resolve("meta"));
            new ObjectMapper().writeValue(dir.resolve("meta/" + split + ".json").toFile(), meta);
        }
        return expected;
    }

    /** 20 train and 10 test digits in IDX files, the train ones gzip-compressed as downloaded. */
    static Map<String, Expected> mnist(Path dir) throws IOException {
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? 20 : 10;
            String prefix = split.equals("train") ? "train" : "t10k";
            byte[] labels = new byte[n];
            byte[] pixels = new byte[n * 28 * 28];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) ((i * 3) % 10);
                for (int p = 0; p < 28 * 28; p++) {
                    pixels[i * 784 + p] = (byte) ((p % 28 == labels[i] * 2) ? 255 : 0);
                }
                expected.put(String.format("%s/%05d", split, i), new Expected(labels[i], Mnist.CLASSES.get(labels[i]), split));
            }
            boolean gz = split.equals("train");
            idx(dir.resolve(prefix + "-images-idx3-ubyte" + (gz ? ".gz" : "")), 0x803, new int[] {n, 28, 28}, pixels, gz);
            idx(dir.resolve(prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), 0x801, new int[] {n}, labels, gz);
        }
        return expected;
    }

    /** 3 breeds (a cat in capitals, two dogs in lower case); class ids by the annotation files. */
    static Map<String, Expected> oxfordPet(Path dir) throws IOException {
        List<String> breeds = List.of("Abyssinian", "american_bulldog", "staffordshire_bull_terrier");
        List<String> names = List.of("Abyssinian", "American Bulldog", "Staffordshire Bull Terrier");
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            StringBuilder lines = new StringBuilder();
            for (int label = 0; label < breeds.size(); label++) {
                for (int i = 0; i < (split.equals("train") ? 2 : 1); i++) {
                    String id = breeds.get(label) + "_" + (split.equals("train") ? 10 + i : 100 + i);
                    lines.append(id).append(' ').append(label + 1).append(' ').append(label == 0 ? 1 : 2).append(' ').append(1 + i).append('\n');
                    jpeg(dir.resolve("images/" + id + ".jpg"), label);
                    expected.put("images/" + id + ".jpg", new Expected(label, names.get(label), split));
                }
            }
            write(dir.resolve("annotations/" + (split.equals("train") ? "trainval" : "test") + ".txt"), lines.toString());
        }
        return expected;
    }

    /** 3 classes (one name with '/'), annotation classes out of label order. */
    static Map<String, Expected> stanfordCars(Path dir) throws IOException {
        List<String> names = List.of("AM General Hummer SUV 2000", "Ram C/V Cargo Van Minivan 2012", "Acura TL Sedan 2012");
        Files.createDirectories(dir.resolve("devkit"));
        MatWriter.carsMeta(dir.resolve("devkit/cars_meta.mat"), names);
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            List<String> fnames = new ArrayList<>();
            int n = split.equals("train") ? 6 : 3;
            int[] classes = new int[n];
            for (int i = 0; i < n; i++) {
                classes[i] = 3 - i % 3; // 1-based
                fnames.add(String.format("%05d.jpg", i + 1));
                jpeg(dir.resolve("cars_" + split + "/" + fnames.get(i)), classes[i]);
                expected.put("cars_" + split + "/" + fnames.get(i), new Expected(classes[i] - 1, names.get(classes[i] - 1), split));
            }
            MatWriter.carsAnnotations(dir.resolve(split.equals("train") ? "devkit/cars_train_annos.mat" : "cars_test_annos_withlabels.mat"),
                    fnames, classes);
        }
        return expected;
    }

    /** 3 classes (one two levels deep), 4 images each, and files the reference's glob skips: 12 samples, PERM_12. */
    static Map<String, Expected> sun397(Path dir) throws IOException {
        List<String> lines = List.of("/a/abbey", "/a/apartment_building/outdoor", "/b/bakery/shop");
        write(dir.resolve("ClassName.txt"), String.join("\n", lines) + "\n");
        write(dir.resolve("README.txt"), "SUN397\n");
        write(dir.resolve("a/abbey/notes.txt"), "not an image\n");
        jpeg(dir.resolve("a/abbey/thumbnail.jpg"), 0);
        TreeMap<String, Integer> files = new TreeMap<>();
        String[] classes = {"abbey", "apartment_building/outdoor", "bakery/shop"};
        for (int label = 0; label < classes.length; label++) {
            String letter = classes[label].substring(0, 1);
            for (int i = 0; i < 4; i++) {
                String f = letter + "/" + classes[label] + "/sun_" + (char) ('d' - i) + "x" + label + ".jpg";
                jpeg(dir.resolve(f), label);
                files.put(f, label);
            }
        }
        List<String> names = List.of("abbey", "apartment building/outdoor", "bakery/shop");
        return randomlySplit(new ArrayList<>(files.keySet()), new ArrayList<>(files.values()), names, PERM_12);
    }

    /** random_split(0.8): the first int(0.8 n) entries of the permutation are the training samples. */
    private static Map<String, Expected> randomlySplit(List<String> order, List<Integer> labels, List<String> names, int[] perm) {
        if (perm.length != order.size()) {
            throw new IllegalStateException(order.size() + " samples for a permutation of " + perm.length);
        }
        int train = (int) (0.8 * order.size());
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (int i = 0; i < perm.length; i++) {
            int s = perm[i];
            expected.put(order.get(s), new Expected(labels.get(s), names.get(labels.get(s)), i < train ? "train" : "test"));
        }
        return expected;
    }

    /** A small JPEG whose colour depends on the label. */
    static void jpeg(Path file, int label) throws IOException {
        BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color((label * 53) % 256, (label * 97) % 256, (label * 29 + 80) % 256));
        g.fillRect(0, 0, 20, 16);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        Files.createDirectories(file.getParent());
        Files.write(file, out.toByteArray());
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** An IDX file: magic, dimensions, then the bytes. */
    private static void idx(Path file, int magic, int[] dims, byte[] data, boolean gzip) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream raw = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(gzip ? new GZIPOutputStream(raw) : raw)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
    }
}
