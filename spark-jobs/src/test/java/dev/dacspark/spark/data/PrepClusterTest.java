package dev.dacspark.spark.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.testing.SparkSessions;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prep job on two executor JVMs (local-cluster) gives what it gives in one JVM. */
class PrepClusterTest {

    @Test
    void twoExecutorJvmsGiveTheSameShardsAsOne(@TempDir Path out) throws IOException {
        PrepFixtures.Tree tree = PrepFixtures.imageFolder(out.resolve("folder"));
        SparkSession cluster = SparkSessions.localCluster(Map.of());
        try {
            assertEquals(2, cluster.sparkContext().statusTracker().getExecutorInfos().length - 1, "two executors besides the driver");
            new PrepJob(cluster, PrepFixtures.config(out, out.resolve("cluster"), 42, PrepFixtures.FOLDER_TASK)).run();
        } finally {
            cluster.stop();
        }
        SparkSession local = SparkSessions.local(Map.of());
        try {
            new PrepJob(local, PrepFixtures.config(out, out.resolve("local"), 42, PrepFixtures.FOLDER_TASK)).run();
        } finally {
            local.stop();
        }
        var mapper = new ObjectMapper();
        var a = mapper.readTree(out.resolve("cluster/pets/_task.json").toFile());
        var b = mapper.readTree(out.resolve("local/pets/_task.json").toFile());
        assertEquals(b.get("content_hash"), a.get("content_hash"));
        assertEquals(b.get("counts"), a.get("counts"));
        assertEquals(tree.bad().size(), a.get("quarantined").asInt());
        assertTrue(a.get("files").size() > 0);
    }
}
