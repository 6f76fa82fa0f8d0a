package dev.dacspark.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.spark.cli.DacSparkJarTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/databricks/job.json (Jobs API 2.1) holds what the trainer needs and what a weekly benchmark rerun needs. */
class DatabricksJobTest {
    static JsonNode job;
    static JsonNode cluster;
    static JsonNode task;

    @BeforeAll
    static void read() throws IOException {
        job = new ObjectMapper().readTree(Scripts.deploy("databricks/job.json").toFile());
        assertEquals(1, job.get("tasks").size(), "one task: train");
        task = job.get("tasks").get(0);
        JsonNode clusters = job.get("job_clusters");
        assertEquals(1, clusters.size());
        assertEquals(clusters.get(0).get("job_cluster_key").asText(), task.get("job_cluster_key").asText(), "the task runs on the job cluster");
        cluster = clusters.get(0).get("new_cluster");
    }

    static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new TreeMap<>();
        object.fields().forEachRemaining(e -> {
            assertTrue(e.getValue().isTextual(), e.getKey() + " must be a string");
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }

    @Test
    void aFixedSetOfGpuWorkersOnASpark35MlRuntime() {
        String runtime = cluster.get("spark_version").asText();
        assertTrue(runtime.matches("1[456]\\.\\d+\\.x-gpu-ml-scala2\\.12"), "a GPU ML runtime of Spark 3.5 (14.x-16.x) for Scala 2.12: " + runtime);
        assertTrue(cluster.get("num_workers").asInt() >= 1, "fixed workers");
        assertFalse(cluster.has("autoscale"), "no autoscaling: barrier stages need a fixed set of executors");
        assertTrue(Set.of("SINGLE_USER", "DATA_SECURITY_MODE_DEDICATED").contains(cluster.get("data_security_mode").asText()),
                "dedicated (single user) access mode: barrier stages use the RDD API");
        assertEquals(job.get("run_as").get("user_name").asText(), cluster.get("single_user_name").asText(),
                "the cluster's single user is the user the job runs as");
        assertEquals("zulu17-ca-amd64", strings(cluster.get("spark_env_vars")).get("JNAME"), "the job jar needs Java 17");
    }

    @Test
    void sparkSettingsFitTheTrainer() {
        Map<String, String> conf = strings(cluster.get("spark_conf"));
        int workers = cluster.get("num_workers").asInt();
        // Databricks runs one executor per worker and gives it the worker's GPUs itself
        TrainerSettings.assertFit("databricks/job.json", conf, "spark://databricks", workers, true);
        // the runtime sizes executors from the node type itself: their cores, GPUs and memory (the heap and what it leaves native)
        TrainerSettings.assertFollowsClusterConf("databricks/job.json", merged(conf), "databricks", Set.of("spark.executor.resource.gpu.amount",
                "spark.executor.cores", "spark.task.cpus", "spark.executor.memoryOverhead"));
        TrainerSettings.assertOnlyItsPlatformsPathsAndJavaOptions("databricks/job.json", merged(conf), "databricks");
        assertTrue(merged(conf).get("spark.executorEnv.DJL_CACHE_DIR").startsWith("/local_disk0/"), "DJL's cache on the workers' local disk");
    }

    /** spark_conf plus spark_env_vars as the spark.executorEnv.* they stand for (they reach the driver and every executor). */
    private static Map<String, String> merged(Map<String, String> conf) {
        Map<String, String> all = new TreeMap<>(conf);
        strings(cluster.get("spark_env_vars")).forEach((k, v) -> all.put("spark.executorEnv." + k, v));
        return all;
    }

    @Test
    void weeklyScheduleOneRunAtATimeAndRetriesThatResume() {
        JsonNode schedule = job.get("schedule");
        String[] cron = schedule.get("quartz_cron_expression").asText().split(" ");
        assertTrue(cron.length == 6 || cron.length == 7, "quartz: sec min hour day-of-month month day-of-week [year]");
        assertEquals("?", cron[3], "no day of month");
        assertTrue(cron[5].matches("(MON|TUE|WED|THU|FRI|SAT|SUN|[1-7])"), "one day a week: " + cron[5]);
        assertEquals("UNPAUSED", schedule.get("pause_status").asText());
        assertEquals(1, job.get("max_concurrent_runs").asInt(), "runs of the benchmark never overlap");
        assertTrue(task.get("max_retries").asInt() >= 1, "failed runs are retried");
        List<String> params = parameters();
        String runId = params.get(params.indexOf("--run-id") + 1);
        // {{job.run_id}} names the job run: unique per scheduled run, the same for its task retries and repairs
        assertTrue(runId.contains("{{job.run_id}}"), runId);
    }

    /** The task's main class is the entry that runs in the cluster's driver JVM (DatabricksJarTaskTest runs it so). */
    @Test
    void theTaskRunsTheJarTaskEntryOnTheClustersSession() {
        assertEquals(DacSparkJarTask.class.getName(), task.get("spark_jar_task").get("main_class_name").asText());
    }

    @Test
    void theJarAndTheConfigComeFromAVolumeOrS3() {
        String jar = task.get("libraries").get(0).get("jar").asText();
        assertTrue(jar.matches("(/Volumes/|s3://).*-job\\.jar"), "the shaded job jar from a volume or S3: " + jar);
        List<String> params = parameters();
        String config = params.get(params.indexOf("--config") + 1);
        assertTrue(config.startsWith("/Volumes/"), "the driver reads the run config through the volume's path: " + config);
    }

    @Test
    void parametersAreArgumentsOurCliAccepts() {
        JobArguments.assertAccepted("databricks/job.json", parameters());
    }

    private static List<String> parameters() {
        List<String> out = new ArrayList<>();
        task.get("spark_jar_task").get("parameters").forEach(p -> out.add(p.asText()));
        return out;
    }
}
