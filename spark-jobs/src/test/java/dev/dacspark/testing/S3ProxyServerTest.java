package dev.dacspark.testing;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.statistics.IOStatistics;
import org.apache.hadoop.fs.statistics.IOStatisticsSupport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.apache.hadoop.fs.statistics.IOStatisticsLogging.ioStatisticsToPrettyString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * S3A (Hadoop FileSystem and Spark) against {@link S3ProxyServer}. One server for the class (a JVM start costs
 * 2-4 s here); the tests that stop it start it again, whatever their outcome, and each test has its own bucket.
 */
@Timeout(120)
class S3ProxyServerTest {

    /** S3A's smallest part size: objects larger than this are uploaded in parts. */
    private static final int PART_SIZE = 5 << 20;

    private static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = S3ProxyServer.launch();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void createWriteListReadDelete() throws IOException {
        String bucket = newBucket(server, "crud");
        try (FileSystem fs = s3a(server, bucket, Map.of())) {
            Path dir = new Path("s3a://" + bucket + "/dir");
            byte[] one = "one".getBytes(StandardCharsets.UTF_8);
            byte[] two = "two, longer".getBytes(StandardCharsets.UTF_8);
            write(fs, new Path(dir, "one.txt"), one);
            write(fs, new Path(dir, "two.txt"), two);

            FileStatus[] listed = fs.listStatus(dir);
            Arrays.sort(listed);
            assertEquals(2, listed.length, Arrays.toString(listed));
            assertEquals("one.txt", listed[0].getPath().getName());
            assertEquals(one.length, listed[0].getLen());
            assertEquals("two.txt", listed[1].getPath().getName());
            assertEquals(two.length, listed[1].getLen());
            assertArrayEquals(two, read(fs, new Path(dir, "two.txt")));

            assertTrue(fs.delete(dir, true));
            assertFalse(fs.exists(dir));
            assertFalse(fs.exists(new Path(dir, "one.txt")));
        }
    }

    @Test
    void fileLargerThanThePartSizeIsUploadedInPartsAndRenames() throws IOException {
        String bucket = newBucket(server, "multipart");
        Map<String, String> smallParts = Map.of(
                "fs.s3a.multipart.size", String.valueOf(PART_SIZE),
                "fs.s3a.multipart.threshold", String.valueOf(PART_SIZE));
        try (FileSystem fs = s3a(server, bucket, smallParts)) {
            byte[] data = new byte[PART_SIZE + 12345];
            new Random(42).nextBytes(data);
            Path big = new Path("s3a://" + bucket + "/big.bin");
            write(fs, big, data);

            // This instance's counters (getStorageStatistics() is shared by all S3A instances in the JVM).
            IOStatistics stats = IOStatisticsSupport.retrieveIOStatistics(fs);
            assertEquals(1, stats.counters().get("object_multipart_initiated"), ioStatisticsToPrettyString(stats));
            assertEquals(1, stats.counters().get("multipart_upload_completed"), ioStatisticsToPrettyString(stats));
            assertEquals(data.length, fs.getFileStatus(big).getLen());
            assertArrayEquals(data, read(fs, big));

            // A copy in parts: fails with fs.s3a.change.detection.mode=server (see S3ProxyServer.s3aSettings).
            Path renamed = new Path("s3a://" + bucket + "/renamed.bin");
            assertTrue(fs.rename(big, renamed));
            assertFalse(fs.exists(big));
            assertArrayEquals(data, read(fs, renamed));
        }
    }

    /** Uses the shared server, and leaves it running even when an assertion fails. */
    @Test
    void stoppedServerFailsFastAndRestartedServerStillHasTheData() throws IOException {
        String bucket = newBucket(server, "restart");
        try (FileSystem fs = s3a(server, bucket, Map.of())) {
            Path file = new Path("s3a://" + bucket + "/kept.txt");
            byte[] data = "still here".getBytes(StandardCharsets.UTF_8);
            write(fs, file, data);

            server.stop();
            // With the short retries of s3aSettings() this takes about a second; 30 s is the "no hang" bound.
            long t0 = System.nanoTime();
            IOException readFailure = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(IOException.class, () -> read(fs, file)));
            IOException writeFailure = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(IOException.class, () -> write(fs, new Path(file + ".new"), data)));
            System.out.printf("server stopped: a read and a write failed in %.1f s%n  %s%n  %s%n",
                    (System.nanoTime() - t0) / 1e9, readFailure, writeFailure);

            server.start();
            assertArrayEquals(data, read(fs, file), "same FileSystem instance, same port, same data");
        } finally {
            if (!server.isRunning()) {
                server.start();
            }
        }
    }

    /** Uses the shared server, and leaves it running. */
    @Test
    @SuppressWarnings("try") // the squatter only holds the port
    void startOnABusyPortFailsWithTheServersLog() throws IOException {
        server.stop();
        int port = URI.create(server.endpoint()).getPort();
        try (ServerSocket squatter = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
            String message = e.getMessage();
            assertTrue(message.contains("S3Proxy exited") && message.contains("Failed to bind to /127.0.0.1:" + port),
                    message);
            assertFalse(server.isRunning());
        } finally {
            if (!server.isRunning()) {
                server.start();
            }
        }
    }

    @Test
    void sparkWritesAndReadsParquet() {
        String bucket = newBucket(server, "spark");
        SparkSession.Builder builder = SparkSession.builder()
                .master("local[2]")
                .appName("S3ProxyServerTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2");
        server.sparkSettings().forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        try {
            String uri = "s3a://" + bucket + "/table";
            spark.range(0, 1000, 1, 2)
                    .selectExpr("id", "concat('row-', id) AS name", "id * 0.5D AS value")
                    .write().parquet(uri);

            List<Row> back = new ArrayList<>(spark.read().parquet(uri).collectAsList());
            back.sort(Comparator.comparingLong(r -> r.getLong(0)));
            assertEquals(1000, back.size());
            for (int i = 0; i < back.size(); i++) {
                Row r = back.get(i);
                assertEquals(List.of((long) i, "row-" + i, i * 0.5),
                        List.of(r.getLong(0), r.getString(1), r.getDouble(2)));
            }
        } finally {
            spark.stop();
        }
    }

    /**
     * A bucket with a name unique in this JVM: Hadoop caches FileSystem instances per bucket, and Spark reads
     * through that cache, so a reused name could reach a server that has gone.
     */
    private static String newBucket(S3ProxyServer s, String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        s.createBucket(name);
        return name;
    }

    /** A new (uncached) S3A FileSystem on the bucket, with the server's settings plus {@code extra}. */
    private static FileSystem s3a(S3ProxyServer s, String bucket, Map<String, String> extra) throws IOException {
        Configuration conf = new Configuration();
        s.s3aSettings().forEach(conf::set);
        extra.forEach(conf::set);
        return FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), conf);
    }

    private static void write(FileSystem fs, Path path, byte[] data) throws IOException {
        try (FSDataOutputStream out = fs.create(path, false)) {
            out.write(data);
        }
    }

    private static byte[] read(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
