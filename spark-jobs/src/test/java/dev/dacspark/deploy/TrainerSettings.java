package dev.dacspark.deploy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.dacspark.spark.train.DistributedTrainer;
import org.apache.spark.SparkConf;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.network.util.JavaUtils;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark settings that the data-parallel trainer needs, as the deploy files' tests check them. */
final class TrainerSettings {
    private TrainerSettings() {}

    /** The platforms that conf/platforms/ has a part of the settings for. */
    static final List<String> PLATFORMS = List.of("databricks", "emr", "k8s", "standalone");

    /** A settings file of conf/, read as HOCON (what the files are), flattened to Spark keys. */
    private static Map<String, String> read(String file) {
        Config c = ConfigFactory.parseFile(Scripts.repo().resolve("conf").resolve(file).toFile()).resolve();
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            out.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
        }
        assertFalse(out.isEmpty(), "conf/" + file + " is missing or empty");
        return out;
    }

    /** The settings of {@code platform}: conf/spark-gpu-cluster.conf (the shared part), then conf/platforms/PLATFORM.conf. */
    static Map<String, String> clusterConf(String platform) {
        Map<String, String> out = read("spark-gpu-cluster.conf");
        out.putAll(read("platforms/" + platform + ".conf"));
        return out;
    }

    /**
     * Asserts that {@code settings}, made for {@code platform}, hold no path of another platform's part (one that
     * its own settings do not have as well), no Databricks path outside Databricks, and leave the Java options to
     * the platform: no spark.*.defaultJavaOptions (the platform's own), and no flag in spark.*.extraJavaOptions that
     * Spark's launcher adds itself.
     */
    static void assertOnlyItsPlatformsPathsAndJavaOptions(String where, Map<String, String> settings, String platform) {
        Map<String, String> own = clusterConf(platform);
        for (String other : PLATFORMS) {
            if (!other.equals(platform)) {
                read("platforms/" + other + ".conf").values().stream().filter(v -> v.startsWith("/") && !own.containsValue(v))
                        .forEach(path -> {
                            Pattern inValue = Pattern.compile("(^|[\\s,:=@])" + Pattern.quote(path) + "($|[/\\s,:])");
                            settings.forEach((k, v) -> assertFalse(inValue.matcher(v).find(), where + ": " + k + " = " + v + " is " + other + "'s path"));
                        });
            }
        }
        if (!platform.equals("databricks")) {
            settings.forEach((k, v) -> assertFalse(v.contains("/local_disk0") || v.contains("/databricks/"), where + ": " + k + " = " + v
                    + " is a Databricks path"));
        }
        for (String process : List.of("driver", "executor")) {
            assertFalse(settings.containsKey("spark." + process + ".defaultJavaOptions"),
                    where + ": spark." + process + ".defaultJavaOptions would replace the platform's own");
            String extra = settings.getOrDefault("spark." + process + ".extraJavaOptions", "");
            for (String flag : JavaModuleOptions.defaultModuleOptions().split(" ")) {
                assertFalse(List.of(extra.split("\\s+")).contains(flag),
                        where + ": spark." + process + ".extraJavaOptions has " + flag + ", which Spark adds itself");
            }
        }
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
     * Asserts that {@code settings} carry the value of {@code platform}'s settings ({@link #clusterConf}) for each of
     * their keys, except the keys {@code platformSpecific} names (instance sizes, or what the platform does itself).
     */
    static void assertFollowsClusterConf(String where, Map<String, String> settings, String platform, Set<String> platformSpecific) {
        for (Map.Entry<String, String> e : clusterConf(platform).entrySet()) {
            if (!platformSpecific.contains(e.getKey())) {
                assertEquals(normal(e.getValue()), normal(settings.get(e.getKey())),
                        where + ": " + e.getKey() + " differs from conf/spark-gpu-cluster.conf with conf/platforms/" + platform + ".conf");
            }
        }
    }
}
