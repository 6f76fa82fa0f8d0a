package dev.dacspark.spark.data.mtil;

import dev.dacspark.spark.data.DatasetFolder;

import java.util.Arrays;
import java.util.List;

/**
 * The 11 MTIL datasets: each one's folder as distributed (under a user's MTIL root, the folder
 * torchvision reads), its reader, and the official class, train and test counts that a copy is
 * checked against (../shared/reference/mtil-native.md).
 */
public enum MtilDataset {
    AIRCRAFT("Aircraft", "fgvc-aircraft-2013b/data", new Aircraft(), 100, 3334, 3333),
    CALTECH101("Caltech101", "caltech101/101_ObjectCategories", new Caltech101(), 101, 6941, 1736),
    CIFAR100("CIFAR100", "cifar-100-python", new Cifar100(), 100, 50000, 10000),
    DTD("DTD", "dtd/dtd", new Dtd(), 47, 1880, 1880),
    EUROSAT("EuroSAT", "eurosat/2750", new EuroSat(), 10, 21600, 5400),
    FLOWERS("Flowers", "flowers-102", new Flowers102(), 102, 1020, 6149),
    FOOD("Food", "food-101", new Food101(), 101, 75750, 25250),
    MNIST("MNIST", "MNIST/raw", new Mnist(), 10, 60000, 10000),
    OXFORD_PET("OxfordPet", "oxford-iiit-pet", new OxfordPet(), 37, 3680, 3669),
    STANFORD_CARS("StanfordCars", "stanford_cars", new StanfordCars(), 196, 8144, 8041),
    SUN397("SUN397", "SUN397", new Sun397(), 397, 87003, 21751);

    /** The benchmark's task orders (the order II stream is the paper's second). */
    public static final List<MtilDataset> ORDER_I = List.of(AIRCRAFT, CALTECH101, CIFAR100, DTD, EUROSAT, FLOWERS, FOOD, MNIST,
            OXFORD_PET, STANFORD_CARS, SUN397);
    public static final List<MtilDataset> ORDER_II = List.of(STANFORD_CARS, FOOD, MNIST, OXFORD_PET, FLOWERS, SUN397, AIRCRAFT,
            CALTECH101, DTD, EUROSAT, CIFAR100);

    /** The benchmark's name of the dataset (mtil.json's key). */
    public final String key;
    /** The dataset's folder under an MTIL root. */
    public final String folder;
    private final MtilReader reader;
    public final int classes;
    public final int train;
    public final int test;

    MtilDataset(String key, String folder, MtilReader reader, int classes, int train, int test) {
        this.key = key;
        this.folder = folder;
        this.reader = reader;
        this.classes = classes;
        this.train = train;
        this.test = test;
    }

    /** The dataset of a benchmark name, in any case; an unknown name fails listing the known ones. */
    public static MtilDataset of(String key) {
        return Arrays.stream(values()).filter(d -> d.key.equalsIgnoreCase(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("'" + key + "' is not an MTIL dataset; they are " + keys()));
    }

    /** Order "I" or "II". */
    public static List<MtilDataset> order(String name) {
        return switch (name) {
            case "I" -> ORDER_I;
            case "II" -> ORDER_II;
            default -> throw new IllegalArgumentException("MTIL order '" + name + "' is not I or II");
        };
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(d -> d.key).toList();
    }

    /** The dataset's folder under an MTIL root URI. */
    public String folderUnder(String root) {
        return root.replaceAll("/+$", "") + "/" + folder;
    }

    /** Reads the dataset from its folder as the reference does. */
    public MtilListing read(DatasetFolder folder) {
        return reader.read(folder);
    }

    /** True when the reader's samples come from a listing of the folder (see {@link MtilReader#listsItsFiles}). */
    public boolean listsItsFiles() {
        return reader.listsItsFiles();
    }

    /** The files and folders the reader needs that the folder lacks. */
    public List<String> missingFiles(DatasetFolder folder) {
        return reader.missingFiles(folder);
    }
}
