package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.dacspark.testing.SparkSessions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conf/prep-mnist.conf on the real MNIST and Fashion-MNIST (fetched by bin/fetch-test-data): counts
 * and per-class histograms against labels read here straight from the IDX files.
 */
class PrepRealDataTest {

    @Test
    void mnistAndFashionMnist(@TempDir Path out) throws IOException {
        Path repo = Path.of(System.getProperty("repo.dir", ".."));
        Path conf = repo.resolve("conf/prep-mnist.conf");
        Path mnist = Path.of(System.getProperty("test.data.dir", "../.cache/test-data")).resolve("mnist");
        Path fashion = Path.of(System.getProperty("fashion-mnist.dir", "/usr/share/datasets/fashion-mnist"));
        assertTrue(Files.exists(mnist.resolve("train-labels-idx1-ubyte")) && Files.exists(fashion.resolve("train-labels-idx1-ubyte.gz")),
                "run bin/fetch-test-data first (MNIST in " + mnist + ", Fashion-MNIST in " + fashion + ")");
        // the shipped config, with the output and a small resolution (the test's own budget) overridden
        PrepConfig config = PrepConfig.from(ConfigFactory.parseString("dac.prep { output = \"" + out.toUri() + "\", resolution = 28 }")
                .withFallback(ConfigFactory.parseFile(conf.toFile())), conf.getParent());
        SparkSession spark = SparkSessions.local(Map.of());
        try {
            new PrepJob(spark, config).run();
            check(spark, out.resolve("mnist"), mnist.resolve("train-labels-idx1-ubyte"), mnist.resolve("t10k-labels-idx1-ubyte"));
            check(spark, out.resolve("fashion-mnist"), fashion.resolve("train-labels-idx1-ubyte.gz"), fashion.resolve("t10k-labels-idx1-ubyte.gz"));
        } finally {
            spark.stop();
        }
    }

    private static void check(SparkSession spark, Path task, Path trainLabels, Path testLabels) throws IOException {
        long[] train = histogram(trainLabels);
        long[] test = histogram(testLabels);
        assertEquals(60000, java.util.Arrays.stream(train).sum());
        assertEquals(10000, java.util.Arrays.stream(test).sum());
        assertArrayEquals(train, shardHistogram(spark, task.resolve("train")), task + " train");
        assertArrayEquals(test, shardHistogram(spark, task.resolve("test")), task + " test");
        JsonNode meta = new ObjectMapper().readTree(task.resolve("_task.json").toFile());
        assertEquals(0, meta.get("quarantined").asInt());
        assertEquals(70000, meta.get("records").asInt());
        long[] few = shardHistogram(spark, task.resolve("fewshot"));
        for (long n : few) {
            assertEquals(5, n);
        }
    }

    private static long[] shardHistogram(SparkSession spark, Path dir) {
        long[] h = new long[10];
        for (Row r : spark.read().parquet(dir.toString()).groupBy("label").count().collectAsList()) {
            h[r.getInt(0)] = r.getLong(1);
        }
        return h;
    }

    /** Labels per class, read straight from an IDX1 file (gzip or not). */
    private static long[] histogram(Path idx) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(idx))) {
            InputStream in = idx.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            DataInputStream d = new DataInputStream(in);
            assertEquals(0x801, d.readInt(), idx + " magic");
            int n = d.readInt();
            long[] h = new long[10];
            for (int i = 0; i < n; i++) {
                h[d.readUnsignedByte()]++;
            }
            return h;
        }
    }
}
