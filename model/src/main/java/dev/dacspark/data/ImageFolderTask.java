package dev.dacspark.data;

import dev.dacspark.clip.RgbImage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A task read from an image folder: {@code root/train/<class>/*} and {@code root/test/<class>/*}.
 * Labels follow the sorted class directory names; class names are those directory names with '_'
 * read as ' ', unless given. Image files: png, jpg, jpeg, bmp, gif.
 */
public final class ImageFolderTask implements TaskData {
    private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private final String name;
    private final Path root;
    private final List<String> classDirs;
    private final List<String> classNames;
    private final List<String> templates;

    /**
     * @param classNames names by label, or null to derive them from the directories
     */
    public ImageFolderTask(String name, Path root, List<String> templates, List<String> classNames) {
        this.name = name;
        this.root = root;
        Path train = root.resolve(Split.TRAIN.dirName);
        if (!Files.isDirectory(train)) {
            throw new IllegalArgumentException("task '" + name + "': " + train + " is not a directory (expected root/train/<class>/...)");
        }
        try (Stream<Path> dirs = Files.list(train)) {
            this.classDirs = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("task '" + name + "': cannot list " + train + ": " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) {
            throw new IllegalArgumentException("task '" + name + "': no class directories under " + train);
        }
        if (classNames != null && classNames.size() != classDirs.size()) {
            throw new IllegalArgumentException("task '" + name + "': " + classNames.size() + " class names given for "
                    + classDirs.size() + " class directories under " + train);
        }
        this.classNames = classNames != null ? List.copyOf(classNames)
                : classDirs.stream().map(d -> d.replace('_', ' ')).toList();
        if (templates.isEmpty()) {
            throw new IllegalArgumentException("task '" + name + "': no prompt templates");
        }
        this.templates = List.copyOf(templates);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public List<String> templates() {
        return templates;
    }

    @Override
    public List<Sample> samples(Split split) {
        Path dir = root.resolve(split.dirName);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("task '" + name + "': " + dir + " is not a directory");
        }
        List<Sample> out = new ArrayList<>();
        for (int label = 0; label < classDirs.size(); label++) {
            Path classDir = dir.resolve(classDirs.get(label));
            if (!Files.isDirectory(classDir)) {
                continue; // a class without images in this split
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(classDir)) {
                files = s.filter(ImageFolderTask::isImage).sorted().toList();
            } catch (IOException e) {
                throw new IllegalArgumentException("task '" + name + "': cannot list " + classDir + ": " + e.getMessage(), e);
            }
            for (Path f : files) {
                String id = root.relativize(f).toString();
                out.add(new Sample(id, label, () -> RgbImage.read(f)));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("task '" + name + "': no images under " + dir);
        }
        return Collections.unmodifiableList(out);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return Files.isRegularFile(p) && dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Writes any task as an image folder {@code root/{train,test}/<NN>/<i>.png}, one directory per label
     * ({@code NN} = the label, zero-padded, so sorting keeps label order; pass the class names to readers
     * explicitly). For generated data that a file-based pipeline (prep) reads.
     */
    public static void write(TaskData task, Path root) {
        int width = Integer.toString(Math.max(1, task.classNames().size() - 1)).length();
        for (Split split : Split.values()) {
            int[] next = new int[task.classNames().size()];
            for (Sample sample : task.samples(split)) {
                Path dir = root.resolve(split.dirName).resolve(String.format(Locale.ROOT, "%0" + width + "d", sample.label()));
                try {
                    Files.createDirectories(dir);
                    Files.write(dir.resolve(next[sample.label()]++ + ".png"), sample.image().get().encodePng());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
