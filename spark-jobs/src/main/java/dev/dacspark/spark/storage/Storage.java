package dev.dacspark.spark.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dacspark.checkpoint.SafeTensors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.UUID;

/**
 * Files on any Hadoop filesystem (file://, hdfs://, s3a://) for the jobs: JSON, safetensors, and
 * publication. {@link #publish} makes a file appear whole or not at all: a temporary name then a
 * rename where renames are atomic (file, HDFS), a single PUT on object stores (an S3 object becomes
 * visible only once its upload completes).
 */
public final class Storage {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Storage() {}

    /**
     * A location from a config or a command line as a URI without a trailing '/': as given when it has a
     * scheme (s3a://, hdfs://, file://), else a local path, relative to {@code base} (or the working
     * directory when base is null).
     */
    public static String location(java.nio.file.Path base, String value) {
        if (value.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        }
        java.nio.file.Path p = java.nio.file.Path.of(value);
        String uri = (p.isAbsolute() || base == null ? p : base.resolve(p).normalize()).toAbsolutePath().toUri().toString();
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri; // toUri() adds '/' to existing directories
    }

    public static Path path(String uri) {
        return new Path(URI.create(uri));
    }

    public static FileSystem fs(String uri, Configuration hadoop) throws IOException {
        return path(uri).getFileSystem(hadoop);
    }

    /** A fresh unique name "stem-XXXXXXXXXXXX.ext" (files are written under unique names, then listed by a manifest). */
    public static String uniqueName(String stem, String ext) {
        return stem + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + ext;
    }

    public static boolean exists(String uri, Configuration hadoop) {
        try {
            return fs(uri, hadoop).exists(path(uri));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Writes JSON straight to its final name (for files that are listed by a manifest written later). */
    public static void writeJson(String uri, Object value, Configuration hadoop) {
        try (FSDataOutputStream out = fs(uri, hadoop).create(path(uri), true)) {
            JSON.writeValue((java.io.OutputStream) out, value);
        } catch (IOException | FSError e) { // FSError: how Hadoop's local file system reports a failed write
            throw PermanentIoFailure.of("cannot write " + uri, e);
        }
    }

    /**
     * Creates a small file with these bytes unless one exists at uri: true when this call created it, false
     * when a file was there. Exclusive where the filesystem can be ({@link #createIsAtomic}): on file:// the
     * OS's create-new ({@code O_EXCL}; Hadoop's local create without overwrite checks, then creates), on HDFS
     * the NameNode's create without overwrite. On S3 it is not: S3A (Hadoop 3.3.4) answers a create without
     * overwrite with a HEAD, and the upload PUTs at close, so two callers can both get true. A reader can see
     * the file empty until its bytes are in (file://, HDFS); S3 shows it whole or not at all. Like
     * {@link #overwrite} and {@link #readBytes}, it writes no Hadoop checksum file beside a local file.
     */
    public static boolean createExclusive(String uri, byte[] bytes, Configuration hadoop) throws IOException {
        Path target = path(uri);
        FileSystem fs = target.getFileSystem(hadoop);
        if (fs.getScheme().equals("file")) {
            java.nio.file.Path local = java.nio.file.Path.of(fs.makeQualified(target).toUri());
            Files.createDirectories(local.getParent());
            try {
                Files.write(local, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (FSDataOutputStream out = fs.create(target, false)) {
            out.write(bytes);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (org.apache.hadoop.ipc.RemoteException e) {
            // HDFS: the file exists and another client is still writing it (the client does not unwrap this one)
            if (e.getClassName().endsWith(".AlreadyBeingCreatedException")) {
                return false;
            }
            throw e;
        }
    }

    /** Whether {@link #createExclusive} is atomic at uri: on file:// and HDFS, not on object stores (S3A). */
    public static boolean createIsAtomic(String uri, Configuration hadoop) {
        try {
            return !objectStore(fs(uri, hadoop));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a small file over the one at uri in place: it never disappears, so a {@link #createExclusive}
     * elsewhere keeps failing while it is rewritten, but a reader can see it empty or partly written
     * (file://, HDFS until close) and must read again.
     */
    public static void overwrite(String uri, byte[] bytes, Configuration hadoop) throws IOException {
        try (FSDataOutputStream out = unchecked(fs(uri, hadoop)).create(path(uri), true)) {
            out.write(bytes);
        }
    }

    /** The bytes of a small file, or null when there is none. */
    public static byte[] readBytes(String uri, Configuration hadoop) throws IOException {
        FileSystem fs = unchecked(fs(uri, hadoop));
        try (InputStream in = fs.open(path(uri))) {
            return in.readAllBytes();
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    /** The filesystem's own files: the local one's without Hadoop's .crc side files, which a reader mid-write finds out of step. */
    private static FileSystem unchecked(FileSystem fs) {
        return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
    }

    private static boolean objectStore(FileSystem fs) {
        return fs.getScheme().startsWith("s3");
    }

    /**
     * Writes bytes so that readers see the old file or the new one, never a part (manifests); a failure is a
     * {@link PermanentIoFailure} when it is one, else an {@link UncheckedIOException}, naming the file.
     */
    public static void publish(String uri, byte[] bytes, Configuration hadoop) {
        try {
            Path target = path(uri);
            FileSystem fs = target.getFileSystem(hadoop);
            if (objectStore(fs)) {
                try (FSDataOutputStream out = fs.create(target, true)) {
                    out.write(bytes);
                }
                return;
            }
            Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                out.write(bytes);
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                fs.delete(tmp, false);
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
        } catch (IOException | FSError e) {
            throw PermanentIoFailure.of("cannot write " + uri, e);
        }
    }

    /** The JSON at uri, or null when there is no such file. */
    public static JsonNode readJson(String uri, Configuration hadoop) {
        try {
            FileSystem fs = fs(uri, hadoop);
            if (!fs.exists(path(uri))) {
                return null;
            }
            try (InputStream in = fs.open(path(uri))) {
                return JSON.readTree(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    public static void writeSafeTensors(String uri, Map<String, SafeTensors.Tensor> tensors, Map<String, String> metadata,
            Configuration hadoop) {
        try (FSDataOutputStream out = fs(uri, hadoop).create(path(uri), true)) {
            SafeTensors.write(out, tensors, metadata);
        } catch (IOException | FSError e) { // FSError: how Hadoop's local file system reports a failed write
            throw PermanentIoFailure.of("cannot write " + uri, e);
        }
    }

    public static Map<String, SafeTensors.Tensor> readSafeTensors(String uri, Configuration hadoop) {
        try (InputStream in = fs(uri, hadoop).open(path(uri))) {
            return SafeTensors.readAll(in, uri);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a file or a folder tree (best kept for cleanup: a failure is reported, not thrown). */
    public static boolean delete(String uri, Configuration hadoop) {
        try {
            return fs(uri, hadoop).delete(path(uri), true);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Writes a folder at {@code uri} with {@code writer}, which fills a local folder: the folder itself for a local URI,
     * else a temporary one copied up file by file (then removed). Files that are written and then listed by a manifest.
     */
    public static void writeDirectory(String uri, java.util.function.Consumer<java.nio.file.Path> writer, Configuration hadoop) {
        URI u = URI.create(uri);
        if (u.getScheme() == null || u.getScheme().equals("file")) {
            writer.accept(java.nio.file.Path.of(u.getScheme() == null ? uri : u.getPath()));
            return;
        }
        java.nio.file.Path tmp = null;
        try {
            tmp = Files.createTempDirectory("dac-export-");
            writer.accept(tmp);
            FileSystem fs = fs(uri, hadoop);
            try (var files = Files.walk(tmp)) {
                for (java.nio.file.Path f : files.filter(Files::isRegularFile).toList()) {
                    fs.copyFromLocalFile(false, true, new Path(f.toUri()), path(uri + "/" + tmp.relativize(f).toString().replace('\\', '/')));
                }
            }
        } catch (IOException | FSError e) {
            throw PermanentIoFailure.of("cannot write " + uri, e);
        } finally {
            if (tmp != null) {
                try (var files = Files.walk(tmp)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    LoggerFactory.getLogger(Storage.class).warn("cannot remove the temporary folder {}: {}", tmp, e.getMessage());
                }
            }
        }
    }

    /** A local file for a URI (object stores and HDFS are copied to a temporary file first). */
    public static java.nio.file.Path localCopy(String uri, Configuration hadoop) {
        URI u = URI.create(uri);
        if (u.getScheme() == null || u.getScheme().equals("file")) {
            return java.nio.file.Path.of(u.getScheme() == null ? uri : u.getPath());
        }
        try {
            String name = new Path(u).getName();
            java.nio.file.Path tmp = Files.createTempFile("dac-", "-" + name);
            tmp.toFile().deleteOnExit();
            Path src = new Path(u);
            src.getFileSystem(hadoop).copyToLocalFile(false, src, new Path(tmp.toUri()), true);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Files under a folder, recursively, whose names end with {@code suffix}: relative name -> bytes, sorted. */
    public static java.util.SortedMap<String, Long> listFiles(String dir, String suffix, Configuration hadoop) {
        java.util.SortedMap<String, Long> files = new java.util.TreeMap<>();
        Path root = path(dir);
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            String rootPath = fs.getFileStatus(root).getPath().toUri().getPath();
            org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                org.apache.hadoop.fs.LocatedFileStatus st = it.next();
                String rel = st.getPath().toUri().getPath().substring(rootPath.length() + 1);
                if (rel.endsWith(suffix)) {
                    files.put(rel, st.getLen());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return files;
    }
}
