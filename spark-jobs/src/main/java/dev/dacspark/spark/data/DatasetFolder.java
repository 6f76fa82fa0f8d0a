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

    /** The URI of a path relative to the root, escaped (a name may hold ' ', '#', '%' or ':'). */
    public String uri(String rel) {
        return rel.isEmpty() ? root : path(rel).toUri().toString();
    }

    private Path path(String rel) {
        return rel.isEmpty() ? rootPath : new Path(rootPath, new Path(null, null, rel));
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

    /** A file met by {@link #walk}: its path relative to the root and, when that path cannot read it, why (else null). */
    public record Walked(String rel, String problem) {}

    /**
     * Every file below a directory (recursive), as paths relative to the root, sorted, each with the reason it cannot
     * be read when it cannot. Hadoop's local listing leaves out, without a word, what it cannot stat under the name
     * it decoded, and costs a forked {@code ls} per file in {@code listFiles(dir, true)} (24 s for 3,000 files); so
     * the local file system is walked with java.nio as {@code os.walk(followlinks=True)} walks it (ImageFolder's
     * walk): links are followed, and a dangling link, a link that cannot be followed (a loop), a link to a folder
     * above it, a folder that cannot be listed, a pipe or device, and a name not valid in the JVM's file-name
     * encoding come back with their problem. Object stores and HDFS list a whole tree in a few paged requests.
     */
    public List<Walked> walk(String relDir) {
        try {
            FileSystem fs = fs();
            Path dir = path(relDir);
            if (!fs.getFileStatus(dir).isDirectory()) {
                throw new IllegalArgumentException(uri(relDir) + " is not a directory");
            }
            List<Walked> files = fs instanceof LocalFileSystem local ? LocalWalk.walk(local.pathToFile(rootPath).toPath(),
                    local.pathToFile(dir).toPath()) : remoteWalk(fs, dir);
            List<Walked> sorted = new ArrayList<>(files);
            sorted.sort(Comparator.comparing(Walked::rel, PYTHON_ORDER));
            return sorted;
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(uri(relDir) + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + uri(relDir) + ": " + e.getMessage(), e);
        }
    }

    private List<Walked> remoteWalk(FileSystem fs, Path dir) throws IOException {
        String rootString = fs.getFileStatus(rootPath).getPath().toUri().getPath().replaceAll("/+$", "");
        List<Walked> files = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            files.add(new Walked(it.next().getPath().toUri().getPath().substring(rootString.length()).replaceFirst("^/", ""), null));
        }
        return files;
    }

    /**
     * Every file below a directory (recursive), as paths relative to the root, sorted; a file that cannot be read by
     * its path ({@link #walk}) fails naming it.
     */
    public List<String> files(String relDir) {
        List<Walked> walked = walk(relDir);
        List<String> problems = walked.stream().filter(w -> w.problem() != null).map(w -> uri(w.rel()) + ": " + w.problem()).toList();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.size() + " file(s) under " + uri(relDir) + " cannot be read: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        }
        return walked.stream().map(Walked::rel).toList();
    }
}
