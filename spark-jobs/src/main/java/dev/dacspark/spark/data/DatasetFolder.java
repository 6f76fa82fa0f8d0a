package dev.dacspark.spark.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A dataset's folder on any Hadoop file system (file://, hdfs://, s3a://), read-only, addressed by
 * paths relative to its root. Listings come back in Python's {@code sorted()} order (by code point),
 * the order the reference readers see; every failure names the URI.
 */
public final class DatasetFolder {
    /** Python's str ordering: by Unicode code point (Java's String order differs above U+FFFF). */
    public static final Comparator<String> PYTHON_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private final String root;
    private final Path rootPath;
    private final Configuration hadoop;

    public DatasetFolder(String root, Configuration hadoop) {
        this.root = root.replaceAll("/+$", "");
        this.rootPath = new Path(URI.create(this.root));
        this.hadoop = hadoop;
    }

    public String root() {
        return root;
    }

    /** The URI of a path relative to the root. */
    public String uri(String rel) {
        return rel.isEmpty() ? root : root + "/" + rel;
    }

    private Path path(String rel) {
        return rel.isEmpty() ? rootPath : new Path(rootPath, rel);
    }

    private FileSystem fs() throws IOException {
        return rootPath.getFileSystem(hadoop);
    }

    public boolean isFile(String rel) {
        FileStatus s = status(rel);
        return s != null && s.isFile();
    }

    public boolean isDirectory(String rel) {
        FileStatus s = status(rel);
        return s != null && s.isDirectory();
    }

    private FileStatus status(String rel) {
        try {
            return fs().getFileStatus(path(rel));
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + uri(rel) + ": " + e.getMessage(), e);
        }
    }

    /** A whole file; a missing or unreadable one fails naming it. */
    public byte[] read(String rel) {
        try {
            FileSystem fs = fs();
            FileStatus st = fs.getFileStatus(path(rel));
            if (st.getLen() > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException(uri(rel) + ": " + st.getLen() + " bytes, too large to read whole");
            }
            byte[] bytes = new byte[(int) st.getLen()];
            try (FSDataInputStream in = fs.open(path(rel))) {
                in.readFully(0, bytes);
            }
            return bytes;
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(uri(rel) + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri(rel) + ": " + e.getMessage(), e);
        }
    }

    /** A UTF-8 text file's lines, without line ends (a last empty line is not a line). */
    public List<String> lines(String rel) {
        String text = new String(read(rel), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /** The names of a directory's immediate entries (files and directories, hidden ones too), sorted. */
    public List<String> entries(String relDir) {
        return children(relDir, false);
    }

    /** The names of a directory's immediate subdirectories, sorted. */
    public List<String> directories(String relDir) {
        return children(relDir, true);
    }

    private List<String> children(String relDir, boolean directoriesOnly) {
        try {
            List<String> names = new ArrayList<>();
            for (FileStatus st : fs().listStatus(path(relDir))) {
                if (!directoriesOnly || st.isDirectory()) {
                    names.add(st.getPath().getName());
                }
            }
            names.sort(PYTHON_ORDER);
            return names;
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(uri(relDir) + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + uri(relDir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The files below a directory. On the local file system {@code listFiles(dir, true)} costs a forked
     * {@code ls} per file (its LocatedFileStatus reads each file's permissions through a subprocess
     * without Hadoop's native library: 24 s for 3,000 files here), so it is walked with listStatus;
     * object stores list a whole tree in a few paged requests.
     */
    private static List<Path> listRecursively(FileSystem fs, Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!(fs instanceof LocalFileSystem)) {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
            while (it.hasNext()) {
                files.add(it.next().getPath());
            }
            return files;
        }
        ArrayDeque<Path> pending = new ArrayDeque<>(List.of(dir));
        while (!pending.isEmpty()) {
            for (FileStatus st : fs.listStatus(pending.pop())) {
                if (st.isFile()) {
                    files.add(st.getPath());
                } else {
                    pending.push(st.getPath());
                }
            }
        }
        return files;
    }

    /** Every file below a directory (recursive), as paths relative to the root, sorted. */
    public List<String> files(String relDir) {
        try {
            FileSystem fs = fs();
            Path dir = path(relDir);
            if (!fs.getFileStatus(dir).isDirectory()) {
                throw new IllegalArgumentException(uri(relDir) + " is not a directory");
            }
            String rootString = fs.getFileStatus(rootPath).getPath().toUri().getPath().replaceAll("/+$", "");
            List<String> files = new ArrayList<>();
            for (Path p : listRecursively(fs, dir)) {
                files.add(p.toUri().getPath().substring(rootString.length()).replaceFirst("^/", ""));
            }
            files.sort(PYTHON_ORDER);
            return files;
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(uri(relDir) + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + uri(relDir) + ": " + e.getMessage(), e);
        }
    }
}
