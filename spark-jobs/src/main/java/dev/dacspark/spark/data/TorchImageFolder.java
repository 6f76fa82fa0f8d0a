package dev.dacspark.spark.data;

import java.util.Comparator;
import java.util.Locale;
import java.util.Set;

/**
 * torchvision's ImageFolder rules, which prep's image folders and the EuroSAT reader follow: which files are
 * images ({@code has_file_allowed_extension} with {@code IMG_EXTENSIONS}) and their order within a class
 * ({@code sorted(os.walk(class_dir, followlinks=True))}, then sorted names: a folder's own files before its
 * sub-folders').
 */
public final class TorchImageFolder {
    /** torchvision's IMG_EXTENSIONS, matched case-insensitively as ImageFolder does. */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp");

    /** ImageFolder's order of a class's files (paths with '/'): by folder, then by name, both in Python's order. */
    public static final Comparator<String> ORDER = Comparator.comparing(TorchImageFolder::parent, DatasetFolder.PYTHON_ORDER)
            .thenComparing(DatasetFolder.PYTHON_ORDER);

    private TorchImageFolder() {}

    /** A file name's extension, lower case with its dot, or "" when the name has none. */
    public static String extension(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot);
    }

    /** Whether ImageFolder takes the file: its name ends with one of {@link #IMAGE_EXTENSIONS}. */
    public static boolean isImage(String path) {
        return IMAGE_EXTENSIONS.contains(extension(path));
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
