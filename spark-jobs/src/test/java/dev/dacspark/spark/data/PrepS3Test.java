package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.testing.S3ProxyServer;
import dev.dacspark.testing.SparkSessions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prep job reading and writing s3a:// on a real S3 server (S3Proxy on 127.0.0.1) gives the file:// results. */
class PrepS3Test {

    @Test
    void s3aGivesTheSameShardsAsLocalFiles(@TempDir java.nio.file.Path dir) throws Exception {
        PrepFixtures.Tree tree = PrepFixtures.imageFolder(dir.resolve("folder"));
        try (S3ProxyServer s3 = S3ProxyServer.launch()) {
            String bucket = "prep-" + Long.toHexString(System.nanoTime());
            s3.createBucket(bucket);
            SparkSession spark = SparkSessions.local(s3.sparkSettings());
            try {
                Configuration hadoop = spark.sparkContext().hadoopConfiguration();
                FileSystem fs = FileSystem.get(URI.create("s3a://" + bucket + "/"), hadoop);
                fs.copyFromLocalFile(false, true, new Path(tree.root().toUri()), new Path("s3a://" + bucket + "/data/folder"));

                String task = "{ name = pets, source { type = image-folder, root = \"s3a://" + bucket
                        + "/data/folder\" }, templates = [\"a photo of a {}.\"], shots = 2 }";
                new PrepJob(spark, PrepFixtures.config(dir, dir.resolve("unused"), 42, task).withOutput("s3a://" + bucket + "/prep")).run();
                new PrepJob(spark, PrepFixtures.config(dir, dir.resolve("local"), 42, PrepFixtures.FOLDER_TASK)).run();

                ObjectMapper json = new ObjectMapper();
                JsonNode remote;
                try (InputStream in = fs.open(new Path("s3a://" + bucket + "/prep/pets/_task.json"))) {
                    remote = json.readTree(in);
                }
                JsonNode local = json.readTree(dir.resolve("local/pets/_task.json").toFile());
                assertEquals(local.get("content_hash"), remote.get("content_hash"));
                assertEquals(local.get("counts"), remote.get("counts"));
                assertEquals(local.get("files").size(), remote.get("files").size());
                assertEquals(tree.bad().size(), remote.get("quarantined").asInt());
                assertTrue(fs.exists(new Path("s3a://" + bucket + "/prep/" + PrepJob.MANIFEST)));
                assertEquals(spark.read().parquet(dir.resolve("local/pets/train").toString()).count(),
                        spark.read().parquet("s3a://" + bucket + "/prep/pets/train").count());
                assertTrue(Files.exists(dir.resolve("local/pets/_task.json")));
            } finally {
                spark.stop();
            }
        }
    }
}
