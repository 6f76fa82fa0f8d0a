package org.apache.hadoop.fs;

import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/**
 * The local file system under the scheme {@code fulldisk://}, full for the files whose path contains
 * {@code fulldisk.full-under} (a setting): writing to one fails as Hadoop's local file system fails on a full disk,
 * with an {@link FSError} around {@code IOException: No space left on device} and no path. Each such failure appends a
 * line to the local file {@code fulldisk.failures}, so a test counts the attempts across executor JVMs. In Hadoop's
 * package because FSError's constructor is package-private (only the local file system makes one).
 */
public class FullDiskFileSystem extends RawLocalFileSystem {
    private static final URI NAME = URI.create("fulldisk:///");

    @Override
    public URI getUri() {
        return NAME;
    }

    @Override
    public String getScheme() {
        return "fulldisk";
    }

    /** Plain statuses: the local file system's own load their permissions through a file: URI. */
    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return plain(super.getFileStatus(f));
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        FileStatus[] all = super.listStatus(f);
        for (int i = 0; i < all.length; i++) {
            all[i] = plain(all[i]);
        }
        return all;
    }

    private static FileStatus plain(FileStatus s) {
        return new FileStatus(s.getLen(), s.isDirectory(), s.getReplication(), s.getBlockSize(), s.getModificationTime(), s.getPath());
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication,
            long blockSize, Progressable progress) throws IOException {
        return full(f) ? new FSDataOutputStream(new NoSpace(f), statistics) : super.create(f, permission, overwrite, bufferSize,
                replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
            Progressable progress) throws IOException {
        return full(f) ? new FSDataOutputStream(new NoSpace(f), statistics) : super.create(f, overwrite, bufferSize, replication,
                blockSize, progress);
    }

    private boolean full(Path f) {
        String under = getConf().get("fulldisk.full-under");
        return under != null && f.toUri().getPath().contains(under);
    }

    /** A stream on a full disk: its first write fails (and is counted). */
    private final class NoSpace extends OutputStream {
        private final Path file;

        NoSpace(Path file) {
            this.file = file;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                Files.writeString(java.nio.file.Path.of(getConf().get("fulldisk.failures")), file + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            throw new FSError(new IOException("No space left on device"));
        }
    }
}
