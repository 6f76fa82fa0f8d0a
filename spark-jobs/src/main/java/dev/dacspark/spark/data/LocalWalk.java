package dev.dacspark.spark.data;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * The walk of a folder on the local file system behind {@link DatasetFolder#walk}: links followed as
 * {@code os.walk(followlinks=True)} follows them, and every entry that a path string cannot read reported with
 * its problem instead of left out.
 */
final class LocalWalk extends SimpleFileVisitor<Path> {
    private final Path root;
    private final List<DatasetFolder.Walked> files = new ArrayList<>();

    private LocalWalk(Path root) {
        this.root = root;
    }

    /** The files below {@code dir}, relative to {@code root} (unsorted), each with its problem or null. */
    static List<DatasetFolder.Walked> walk(Path root, Path dir) throws IOException {
        LocalWalk walk = new LocalWalk(root);
        Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, walk);
        return walk.files;
    }

    @Override
    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        add(file, problem(file, attrs));
        return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFileFailed(Path file, IOException e) {
        add(file, e instanceof FileSystemLoopException ? "a symbolic link to a folder above it (a loop, which os.walk would follow "
                + "until the path is too long)" : "cannot be listed: " + e);
        return FileVisitResult.CONTINUE;
    }

    private void add(Path file, String problem) {
        files.add(new DatasetFolder.Walked(root.relativize(file).toString(), problem != null ? problem : undecodable(file)));
    }

    /** Why a file the walk met cannot be read as an image, or null: a link it could not follow, or no regular file. */
    private static String problem(Path file, BasicFileAttributes attrs) {
        if (!attrs.isSymbolicLink()) { // the walk gives a link's own attributes only when it cannot follow the link
            return attrs.isRegularFile() ? null : "not a regular file (a pipe, socket or device)";
        }
        try {
            Files.readAttributes(file, BasicFileAttributes.class);
            return null; // followed now: the link was repaired during the walk
        } catch (NoSuchFileException e) {
            return "a dangling symbolic link (to " + target(file) + ", which does not exist)";
        } catch (IOException e) {
            return "a symbolic link that cannot be followed (to " + target(file) + "): "
                    + (e instanceof FileSystemException f ? f.getReason() : e.getMessage());
        }
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "an unreadable target";
        }
    }

    /**
     * A name not valid in the JVM's file-name encoding decodes to a string that names another file (or none): then
     * no URI can reach the file, and the record must say so.
     */
    private static String undecodable(Path file) {
        return file.equals(file.getFileSystem().getPath(file.toString())) ? null
                : "the file name is not valid " + System.getProperty("sun.jnu.encoding") + " (the JVM's file-name encoding), so no path "
                + "can name it; rename the file";
    }
}
