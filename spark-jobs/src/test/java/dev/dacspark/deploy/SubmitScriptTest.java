package dev.dacspark.deploy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/spark-submit/dac-submit.sh against a SPARK_HOME whose bin/spark-submit records what it is given: the
 * settings for each kind of master, the dry run, and the errors. (StandaloneSubmitTest runs jobs through it.)
 */
class SubmitScriptTest {
    static final List<String> DJL_VARIABLES = List.of("DJL_OFFLINE", "DJL_CACHE_DIR", "PYTORCH_VERSION", "PYTORCH_FLAVOR",
            "PYTORCH_LIBRARY_PATH", "MKL_CBWR");

    @TempDir
    Path dir;
    Path sparkHome;
    Path record;
    Path config;
    Path jar;

    @BeforeEach
    void setUp() throws IOException {
        sparkHome = dir.resolve("spark");
        record = dir.resolve("argv");
        Scripts.executable(sparkHome.resolve("bin/spark-submit"), """
                #!/bin/sh
                printf '%%s\\0' "$@" > "%1$s"
                env > "%1$s.env"
                """.formatted(record));
        config = Files.writeString(dir.resolve("run.conf"), "dac.job.run-id = test\n");
        jar = Files.write(dir.resolve("job.jar"), new byte[] {'P', 'K'});
    }

    /** What spark-submit got: its options, the --conf settings, and the jar with the job's arguments. */
    record Submitted(Map<String, String> options, Map<String, String> conf, List<String> application, Map<String, String> env) {}

    private Scripts.Result run(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>();
        DJL_VARIABLES.forEach(v -> e.put(v, null)); // the cluster settings' values, not this JVM's test environment
        e.put("SPARK_HOME", sparkHome.toString());
        e.put("DAC_MASTER", null);
        e.put("DAC_JAR", null);
        e.putAll(env);
        List<String> command = new ArrayList<>(List.of("bash", Scripts.deploy("spark-submit/dac-submit.sh").toString()));
        command.addAll(Arrays.asList(args));
        return Scripts.run(command, dir, e, 60);
    }

    private Submitted submit(Map<String, String> env, String... args) throws IOException {
        Scripts.Result r = run(env, args);
        assertEquals(0, r.exit(), r::toString);
        String[] argv = Files.readString(record).split("\0");
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, String> conf = new LinkedHashMap<>();
        int i = 0;
        while (argv[i].startsWith("--")) {
            if (argv[i].equals("--conf")) {
                String kv = argv[i + 1];
                assertNull(conf.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1)), "set once: " + kv);
            } else {
                assertNull(options.put(argv[i], argv[i + 1]), "given once: " + argv[i]);
            }
            i += 2;
        }
        Map<String, String> submittedEnv = Files.readAllLines(Path.of(record + ".env")).stream().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
        return new Submitted(options, conf, List.of(argv).subList(i, argv.length), submittedEnv);
    }

    @Test
    void gpuJobOnYarnCarriesTheClusterSettings() throws IOException {
        Submitted s = submit(Map.of(), "train", "--config", config.toString(), "--master", "yarn", "--executors", "4",
                "--jar", jar.toString());
        assertEquals("yarn", s.options().get("--master"));
        assertEquals("cluster", s.options().get("--deploy-mode"));
        assertEquals(JobArguments.MAIN_CLASS, s.options().get("--class"));
        assertEquals(List.of(config.toString(), Scripts.deploy("gpu/discover-gpus.sh").toString()),
                List.of(s.options().get("--files").split(",")), "the run config and the discovery script are shipped");
        // cluster mode: the driver finds the shipped config in its working directory, by its base name
        assertEquals(List.of(jar.toString(), "train", "--config", "run.conf"), s.application());
        TrainerSettings.assertFit("dac-submit.sh on YARN", s.conf(), "yarn", 4, true);
        assertEquals("4", s.conf().get("spark.executor.instances"));
        assertEquals("./discover-gpus.sh", s.conf().get("spark.executor.resource.gpu.discoveryScript"));
        TrainerSettings.assertFollowsClusterConf("dac-submit.sh on YARN", s.conf(), "emr", Set.of("spark.executor.resource.gpu.discoveryScript"));
        TrainerSettings.assertOnlyItsPlatformsPathsAndJavaOptions("dac-submit.sh on YARN", s.conf(), "emr");
        assertTrue(s.conf().keySet().stream().noneMatch(k -> k.endsWith("JavaOptions")), "Java options left to the platform: " + s.conf());
        // the driver (the YARN application master in cluster mode) gets DJL's variables too
        for (String v : DJL_VARIABLES) {
            assertEquals(s.conf().get("spark.executorEnv." + v), s.conf().get("spark.yarn.appMasterEnv." + v), v);
        }
        assertEquals("cu128", s.conf().get("spark.yarn.appMasterEnv.PYTORCH_FLAVOR"));
    }

    @Test
    void kubernetesNamesTheGpuVendorAndTheDriversEnvironment() throws IOException {
        Submitted s = submit(Map.of("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib"), "eval", "--config", config.toString(),
                "--master", "k8s://https://10.0.0.1:6443", "--jar", "local:///opt/dac-spark/dac-spark-jobs-job.jar",
                "--checkpoint", "s3a://bucket/run/dac/task-01/merged.safetensors");
        assertEquals("cluster", s.options().get("--deploy-mode"));
        assertEquals("nvidia.com", s.conf().get("spark.executor.resource.gpu.vendor"));
        TrainerSettings.assertFit("dac-submit.sh on Kubernetes", s.conf(), "k8s://https://10.0.0.1:6443", 2, true);
        TrainerSettings.assertFollowsClusterConf("dac-submit.sh on Kubernetes", s.conf(), "k8s", Set.of());
        TrainerSettings.assertOnlyItsPlatformsPathsAndJavaOptions("dac-submit.sh on Kubernetes", s.conf(), "k8s");
        // DJL's cache is on an emptyDir volume that the driver's pod and each executor's pod mount
        String cache = s.conf().get("spark.executorEnv.DJL_CACHE_DIR");
        assertEquals(cache, s.conf().get("spark.kubernetes.driverEnv.DJL_CACHE_DIR"));
        for (String pod : List.of("driver", "executor")) {
            assertEquals(cache, s.conf().get("spark.kubernetes." + pod + ".volumes.emptyDir.djl-cache.mount.path"), pod);
        }
        assertEquals("/opt/libtorch/lib", s.conf().get("spark.executorEnv.PYTORCH_LIBRARY_PATH"), "the environment's libtorch");
        assertEquals("/opt/libtorch/lib", s.conf().get("spark.kubernetes.driverEnv.PYTORCH_LIBRARY_PATH"));
        assertEquals(List.of("local:///opt/dac-spark/dac-spark-jobs-job.jar", "eval", "--config", "run.conf", "--checkpoint",
                "s3a://bucket/run/dac/task-01/merged.safetensors"), s.application(), "the job's own arguments follow");
    }

    @Test
    void cpuModeOnStandaloneHasNoGpuSettingsAndRunsTheDriverHere() throws IOException {
        Submitted s = submit(Map.of("DJL_OFFLINE", "true"), "prep", "--config", config.toString(), "--master",
                "spark://127.0.0.1:7077", "--cpu", "--executors", "3", "--executor-cores", "2", "--jar", jar.toString(),
                "--conf", "spark.barrier.sync.timeout=300s");
        assertEquals("client", s.options().get("--deploy-mode"));
        TrainerSettings.assertFit("dac-submit.sh --cpu", s.conf(), "spark://127.0.0.1:7077", 3, false);
        assertEquals("2", s.conf().get("spark.task.cpus"));
        assertEquals("6", s.conf().get("spark.cores.max"), "standalone sizes an application by cores: 3 executors of 2");
        assertEquals("300s", s.conf().get("spark.barrier.sync.timeout"), "--conf wins over the cluster settings");
        assertEquals("cpu", s.conf().get("spark.executorEnv.PYTORCH_FLAVOR"));
        TrainerSettings.assertOnlyItsPlatformsPathsAndJavaOptions("dac-submit.sh --cpu on standalone", s.conf(), "standalone");
        assertEquals(TrainerSettings.clusterConf("standalone").get("spark.executorEnv.DJL_CACHE_DIR"), s.conf().get("spark.executorEnv.DJL_CACHE_DIR"),
                "the standalone part's cache");
        assertEquals("true", s.conf().get("spark.executorEnv.DJL_OFFLINE"), "the environment's value wins");
        assertEquals("true", s.env().get("DJL_OFFLINE"), "client mode: the driver runs with the same DJL settings");
        assertEquals("cpu", s.env().get("PYTORCH_FLAVOR"));
        assertEquals(List.of(jar.toString(), "prep", "--config", config.toString()), s.application(),
                "client mode: the driver reads the config where it is");
        JobArguments.assertAccepted("dac-submit.sh prep", s.application().subList(1, s.application().size()));
    }

    /** --platform-conf replaces the master's part (another YARN cluster than EMR, with its own paths); the environment wins over both. */
    @Test
    void anotherPlatformPartReplacesTheMastersPart() throws IOException {
        Path part = Files.writeString(dir.resolve("my-yarn.conf"), "spark.executorEnv.DJL_CACHE_DIR = ./djl-cache\n");
        Submitted s = submit(Map.of(), "train", "--config", config.toString(), "--master", "yarn", "--jar", jar.toString(),
                "--platform-conf", part.toString());
        assertEquals("./djl-cache", s.conf().get("spark.executorEnv.DJL_CACHE_DIR"));
        assertEquals("./djl-cache", s.conf().get("spark.yarn.appMasterEnv.DJL_CACHE_DIR"));
        assertTrue(s.conf().values().stream().noneMatch(v -> v.startsWith("/mnt/") || v.startsWith("/opt/dac-spark/")), "nothing of emr.conf: " + s.conf());
        s = submit(Map.of("DJL_CACHE_DIR", "/data/djl"), "train", "--config", config.toString(), "--master", "yarn", "--jar", jar.toString(),
                "--platform-conf", part.toString());
        assertEquals("/data/djl", s.conf().get("spark.executorEnv.DJL_CACHE_DIR"));
    }

    @Test
    void dryRunPrintsTheCommandAndSubmitsNothing() {
        Scripts.Result r = run(Map.of(), "train", "--config", config.toString(), "--master", "yarn", "--jar", jar.toString(), "--dry-run");
        assertEquals(0, r.exit(), r::toString);
        assertFalse(Files.exists(record), "spark-submit must not run");
        List<String> lines = r.out().lines().toList();
        assertEquals(sparkHome.resolve("bin/spark-submit") + " \\", lines.get(0));
        assertTrue(lines.contains("  --conf spark.task.resource.gpu.amount=1 \\"), r.out());
        assertTrue(lines.contains("  --conf spark.dynamicAllocation.enabled=false \\"), r.out());
        assertEquals("  " + jar + " train --config run.conf", lines.get(lines.size() - 1));
    }

    @Test
    void clearErrorsForWhatIsMissing() throws IOException {
        String conf = config.toString();
        String j = jar.toString();
        assertError("SPARK_HOME is not set", Map.of("SPARK_HOME", ""), "prep", "--config", conf, "--master", "yarn", "--jar", j);
        assertError("has no executable bin/spark-submit", Map.of("SPARK_HOME", dir.resolve("nowhere").toString()),
                "prep", "--config", conf, "--master", "yarn", "--jar", j);
        assertError("job jar not found: " + dir.resolve("missing.jar"), Map.of(), "prep", "--config", conf, "--master", "yarn",
                "--jar", dir.resolve("missing.jar").toString());
        assertError("config file not found: " + dir.resolve("missing.conf"), Map.of(), "prep", "--config",
                dir.resolve("missing.conf").toString(), "--master", "yarn", "--jar", j);
        assertError("--config FILE is required", Map.of(), "train", "--master", "yarn", "--jar", j);
        assertError("--master is required", Map.of(), "train", "--config", conf, "--jar", j);
        assertError("unknown command 'fit'", Map.of(), "fit", "--config", conf);
        assertError("use client mode there", Map.of(), "prep", "--config", conf, "--master", "spark://h:7077", "--deploy-mode",
                "cluster", "--jar", j);
        assertError("--executors must be a positive integer", Map.of(), "prep", "--config", conf, "--master", "yarn",
                "--executors", "0", "--jar", j);
        Path broken = Files.writeString(dir.resolve("broken.conf"), "spark.task.cpus = 8\nnot a setting\n");
        assertError(broken + ":2: expected 'key = value'", Map.of(), "prep", "--config", conf, "--master", "yarn", "--jar", j,
                "--cluster-conf", broken.toString());
        assertError(broken + ":2: expected 'key = value'", Map.of(), "prep", "--config", conf, "--master", "yarn", "--jar", j,
                "--platform-conf", broken.toString());
        assertError("platform settings not found: " + dir.resolve("none.conf"), Map.of(), "prep", "--config", conf, "--master", "yarn",
                "--jar", j, "--platform-conf", dir.resolve("none.conf").toString());
    }

    private void assertError(String message, Map<String, String> env, String... args) {
        Scripts.Result r = run(env, args);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith("dac-submit: ") && r.err().contains(message), () -> "expected '" + message + "'\n" + r);
        assertFalse(Files.exists(record), "spark-submit must not run");
    }
}
