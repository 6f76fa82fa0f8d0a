package dev.dacspark.deploy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.dacspark.spark.train.DistributedTrainer;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark settings that the data-parallel trainer needs, as the deploy files' tests check them. */
final class TrainerSettings {
    private TrainerSettings() {}

    /** conf/spark-gpu-cluster.conf, read as HOCON (what the file is), flattened to Spark keys. */
    static Map<String, String> clusterConf() {
        Config c = ConfigFactory.parseFile(Scripts.repo().resolve("conf/spark-gpu-cluster.conf").toFile()).resolve();
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            out.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
        }
        return out;
    }

    /**
     * Asserts that {@code settings} fit the trainer on {@code executors} executor JVMs of {@code master}, training
     * one rank per executor: DistributedTrainer's own check passes, dynamic allocation and speculation are off
     * explicitly (EMR turns dynamic allocation on), jobs wait for every executor, the barrier timeout is finite
     * (at most an hour), the task reaper is on with a kill timeout, a task takes an executor's cores, and with
     * {@code gpu} each task takes one GPU (and each executor one, where the settings say how many it has).
     */
    static void assertFit(String where, Map<String, String> settings, String master, int executors, boolean gpu) {
        SparkConf conf = new SparkConf(false);
        settings.forEach(conf::set);
        assertDoesNotThrow(() -> DistributedTrainer.checkCluster(conf, master, executors, executors), where);
        assertEquals("false", settings.get("spark.dynamicAllocation.enabled"), where + ": spark.dynamicAllocation.enabled");
        assertEquals("false", settings.get("spark.speculation"), where + ": spark.speculation");
        String barrier = settings.get("spark.barrier.sync.timeout");
        assertNotNull(barrier, where + ": spark.barrier.sync.timeout");
        long seconds = JavaUtils.timeStringAsSec(barrier);
        assertTrue(seconds > 0 && seconds <= 3600, where + ": spark.barrier.sync.timeout = " + barrier + " is not a finite wait");
        assertEquals("true", settings.get("spark.task.reaper.enabled"), where + ": spark.task.reaper.enabled");
        assertEquals(1.0, Double.parseDouble(settings.getOrDefault("spark.scheduler.minRegisteredResourcesRatio", "0")),
                where + ": jobs wait for every executor (the trainer counts them)");
        assertNotNull(settings.get("spark.task.reaper.killTimeout"), where + ": spark.task.reaper.killTimeout");
        if (gpu) {
            assertEquals("1", settings.get("spark.task.resource.gpu.amount"), where + ": one GPU per task");
            String perExecutor = settings.get("spark.executor.resource.gpu.amount");
            assertTrue(perExecutor == null || perExecutor.equals("1"), where + ": one GPU per executor, not " + perExecutor);
        } else {
            assertTrue(settings.keySet().stream().noneMatch(k -> k.contains(".resource.gpu.")), where + ": no GPU settings in CPU mode");
        }
        if (settings.containsKey("spark.executor.cores")) {
            assertEquals(settings.get("spark.executor.cores"), settings.get("spark.task.cpus"), where + ": spark.task.cpus = spark.executor.cores");
        } else { // the platform sizes executors (Databricks: one a worker, with all its cores): a task must ask for them
            assertNotNull(settings.get("spark.task.cpus"), where + ": spark.task.cpus (the cores of an executor)");
        }
    }

    /** A setting's value, numbers compared as numbers (HOCON reads 1.0 as the number 1). */
    private static String normal(String value) {
        if (value != null && value.matches("-?\\d+(\\.\\d+)?")) {
            return new BigDecimal(value).stripTrailingZeros().toPlainString();
        }
        return value;
    }

    /**
     * Asserts that {@code settings} carry conf/spark-gpu-cluster.conf's value for each of its keys, except the keys
     * {@code platformSpecific} names (the platform's own paths, instance sizes or mechanisms).
     */
    static void assertFollowsClusterConf(String where, Map<String, String> settings, Set<String> platformSpecific) {
        for (Map.Entry<String, String> e : clusterConf().entrySet()) {
            if (!platformSpecific.contains(e.getKey())) {
                assertEquals(normal(e.getValue()), normal(settings.get(e.getKey())),
                        where + ": " + e.getKey() + " differs from conf/spark-gpu-cluster.conf");
            }
        }
    }
}
