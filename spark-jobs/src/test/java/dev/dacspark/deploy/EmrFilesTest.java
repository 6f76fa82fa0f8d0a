package dev.dacspark.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/emr: the cluster configurations, the bootstrap action, the step and the weekly schedule (a Step Functions
 * state machine started by EventBridge Scheduler) agree with each other and hold what the trainer needs.
 */
class EmrFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static JsonNode configurations;
    static JsonNode step;
    static JsonNode stateMachine;

    @BeforeAll
    static void read() throws IOException {
        configurations = JSON.readTree(Scripts.deploy("emr/configurations.json").toFile());
        JsonNode steps = JSON.readTree(Scripts.deploy("emr/step.json").toFile());
        assertEquals(1, steps.size());
        step = steps.get(0);
        stateMachine = JSON.readTree(Scripts.deploy("emr/state-machine.json").toFile());
    }

    static JsonNode classification(JsonNode list, String name) {
        for (JsonNode c : list) {
            if (c.get("Classification").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no " + name + " classification");
    }

    static Map<String, String> properties(String classification) {
        Map<String, String> out = new TreeMap<>();
        classification(configurations, classification).get("Properties").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    static List<String> args(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(a -> out.add(a.asText()));
        return out;
    }

    static String after(List<String> args, String option) {
        int i = args.indexOf(option);
        assertTrue(i >= 0 && i + 1 < args.size(), option + " in " + args);
        return args.get(i + 1);
    }

    @Test
    void sparkDefaultsAndTheStepFitTheTrainer() {
        Map<String, String> spark = properties("spark-defaults");
        List<String> submit = args(step.get("Args"));
        Map<String, String> settings = new TreeMap<>(spark);
        for (int i = 0; i < submit.size(); i++) { // the step's own --conf settings come on top
            if (submit.get(i).equals("--conf")) {
                String kv = submit.get(i + 1);
                settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        int executors = Integer.parseInt(after(submit, "--num-executors"));
        TrainerSettings.assertFit("emr", settings, "yarn", executors, true);
        TrainerSettings.assertFollowsClusterConf("emr/configurations.json", settings, "emr", Set.of("spark.executor.cores", "spark.task.cpus"));
        TrainerSettings.assertOnlyItsPlatformsPathsAndJavaOptions("emr/configurations.json", settings, "emr");
        assertEquals("false", properties("spark").get("maximizeResourceAllocation"), "executor sizes are set here");
        // cluster deploy mode: the driver (YARN's application master) gets DJL's variables too
        settings.forEach((k, v) -> {
            if (k.startsWith("spark.executorEnv.")) {
                assertEquals(v, settings.get("spark.yarn.appMasterEnv." + k.substring("spark.executorEnv.".length())), k);
            }
        });
    }

    @Test
    void yarnSchedulesAndIsolatesGpus() {
        Map<String, String> yarn = properties("yarn-site");
        assertEquals("yarn.io/gpu", yarn.get("yarn.resource-types"));
        assertEquals("yarn.io/gpu", yarn.get("yarn.nodemanager.resource-plugins"));
        assertEquals("org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor", yarn.get("yarn.nodemanager.container-executor.class"));
        JsonNode executor = classification(configurations, "container-executor").get("Configurations");
        assertEquals("true", classification(executor, "gpu").get("Properties").get("module.enabled").asText());
        assertEquals(yarn.get("yarn.nodemanager.linux-container-executor.cgroups.mount-path"),
                classification(executor, "cgroups").get("Properties").get("root").asText(), "one cgroup root for YARN and its executor");
        assertEquals(yarn.get("yarn.nodemanager.linux-container-executor.cgroups.hierarchy"),
                classification(executor, "cgroups").get("Properties").get("yarn-hierarchy").asText());
        assertEquals("org.apache.hadoop.yarn.util.resource.DominantResourceCalculator",
                properties("capacity-scheduler").get("yarn.scheduler.capacity.resource-calculator"));
    }

    /** Runs bootstrap.sh with sudo, aws and mountpoint replaced by recorders, and checks what it would install where. */
    @Test
    void bootstrapInstallsWhatTheConfigurationsReferTo(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("commands");
        Path bin = dir.resolve("bin");
        Scripts.executable(bin.resolve("sudo"), "#!/bin/sh\necho \"$*\" >> " + log + "\n");
        Scripts.executable(bin.resolve("mountpoint"), "#!/bin/sh\nexit 1\n");
        Scripts.executable(bin.resolve("aws"), "#!/bin/sh\necho \"unexpected: aws $*\" >> " + log + "\nexit 1\n");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":/usr/bin:/bin");
        Scripts.Result r = Scripts.run(List.of("bash", Scripts.deploy("emr/bootstrap.sh").toString(), "s3://bucket/dac-spark/"), dir, env, 30);
        assertEquals(0, r.exit(), r::toString);
        List<String> commands = Files.readAllLines(log);

        String cgroup = properties("yarn-site").get("yarn.nodemanager.linux-container-executor.cgroups.mount-path");
        assertTrue(commands.contains("mount -t cgroup -o devices cgroupv1-devices " + cgroup + "/devices"), commands::toString);
        Map<String, String> spark = properties("spark-defaults");
        String discovery = spark.get("spark.executor.resource.gpu.discoveryScript");
        assertTrue(commands.contains("aws s3 cp s3://bucket/dac-spark/deploy/gpu/discover-gpus.sh " + discovery), commands::toString);
        assertTrue(commands.contains("chmod 755 " + discovery), commands::toString);
        assertTrue(commands.contains("mkdir -p " + spark.get("spark.executorEnv.DJL_CACHE_DIR")), commands::toString);
        assertTrue(commands.contains("chmod 1777 " + spark.get("spark.executorEnv.DJL_CACHE_DIR")), "writable by YARN's user: " + commands);
        // what it copies from the artifacts prefix is what this repository has at that path
        assertTrue(Files.isRegularFile(Scripts.repo().resolve("deploy/gpu/discover-gpus.sh")));
    }

    @Test
    void theStepRunsTheJobInClusterModeWithTheShippedConfig() {
        assertEquals("command-runner.jar", step.get("Jar").asText());
        List<String> submit = args(step.get("Args"));
        assertEquals("spark-submit", submit.get(0));
        assertEquals("cluster", after(submit, "--deploy-mode"));
        assertEquals(JobArguments.MAIN_CLASS, after(submit, "--class"));
        List<String> job = jobArguments(submit);
        String files = after(submit, "--files");
        String config = after(job, "--config");
        assertTrue(files.endsWith("/" + config), "the config is shipped with --files and passed by its base name: " + files + ", " + config);
        assertTrue(submit.get(submit.size() - job.size() - 1).matches("s3://.*-job\\.jar"), "the shaded job jar from S3");
    }

    @Test
    void theStepsArgumentsAreArgumentsOurCliAccepts() {
        JobArguments.assertAccepted("emr/step.json", jobArguments(args(step.get("Args"))));
    }

    /** The arguments after the application jar. */
    static List<String> jobArguments(List<String> submit) {
        for (int i = 1; i < submit.size(); i++) {
            if (submit.get(i).endsWith(".jar") && !submit.get(i - 1).startsWith("--")) {
                return submit.subList(i + 1, submit.size());
            }
        }
        throw new AssertionError("no application jar in " + submit);
    }

    @Test
    void theScheduledRunCreatesTheSameClusterRunsTheSameStepAndTerminates() {
        JsonNode states = stateMachine.get("States");
        JsonNode create = states.get(stateMachine.get("StartAt").asText());
        assertTrue(create.get("Resource").asText().endsWith(":elasticmapreduce:createCluster.sync"));
        JsonNode cluster = create.get("Arguments");
        assertEquals(configurations, cluster.get("Configurations"), "the state machine's cluster has configurations.json");
        assertTrue(cluster.get("ReleaseLabel").asText().matches("emr-7\\.\\d+\\.\\d+"), "an EMR 7 release (Spark 3.5, Java 17)");
        JsonNode bootstrap = cluster.get("BootstrapActions").get(0).get("ScriptBootstrapAction");
        String prefix = bootstrap.get("Args").get(0).asText();
        assertEquals(prefix + "/deploy/emr/bootstrap.sh", bootstrap.get("Path").asText());
        int workers = 0;
        for (JsonNode group : cluster.get("Instances").get("InstanceGroups")) {
            if (group.get("InstanceRole").asText().equals("CORE")) {
                workers += group.get("InstanceCount").asInt();
            }
        }
        List<String> stepArgs = args(step.get("Args"));
        assertEquals(Integer.parseInt(after(stepArgs, "--num-executors")), workers, "one executor (and GPU) per core node");

        JsonNode train = states.get(create.get("Next").asText());
        assertTrue(train.get("Resource").asText().endsWith(":elasticmapreduce:addStep.sync"));
        JsonNode hadoopStep = train.get("Arguments").get("Step").get("HadoopJarStep");
        assertEquals(step.get("Jar"), hadoopStep.get("Jar"));
        List<String> scheduled = args(hadoopStep.get("Args"));
        int runId = stepArgs.indexOf("--run-id") + 1;
        assertEquals(stepArgs.subList(0, runId), scheduled.subList(0, runId), "the state machine runs step.json's step");
        assertEquals(stepArgs.size(), scheduled.size());
        // the execution's name: unique per scheduled run, the same for the Retry of the step (which resumes the run)
        assertTrue(scheduled.get(runId).matches("\\{%.*\\$states\\.context\\.Execution\\.Name.*%}"), scheduled.get(runId));
        assertTrue(train.get("Retry").size() > 0, "a failed step is retried");
        assertEquals("Terminate", train.get("Next").asText());
        String onFailure = train.get("Catch").get(0).get("Next").asText();
        for (String terminate : List.of("Terminate", onFailure)) {
            assertTrue(states.get(terminate).get("Resource").asText().endsWith(":elasticmapreduce:terminateCluster.sync"),
                    "the cluster is terminated on both paths: " + terminate);
        }
    }

    /**
     * EMR_DefaultRole_V2 (EMR's managed policy) acts only on resources tagged for it: the cluster, its subnet and its
     * security groups, which the execution's input names (the schedule gives them). And a cluster that the execution
     * left running (stopped or timed out before it terminated the cluster) ends itself once idle.
     */
    @Test
    void theClusterIsTaggedForTheManagedPoliciesInTheGivenSubnetAndEndsWhenIdle() throws IOException {
        JsonNode states = stateMachine.get("States");
        JsonNode cluster = states.get(stateMachine.get("StartAt").asText()).get("Arguments");
        assertEquals("EMR_DefaultRole_V2", cluster.get("ServiceRole").asText());
        Map<String, String> tags = new TreeMap<>();
        cluster.get("Tags").forEach(t -> tags.put(t.get("Key").asText(), t.get("Value").asText()));
        assertEquals("true", tags.get("for-use-with-amazon-emr-managed-policies"), "the tag EMR_DefaultRole_V2 requires: " + tags);

        JsonNode input = JSON.readTree(JSON.readTree(Scripts.deploy("emr/schedule.json").toFile()).get("Target").get("Input").asText());
        for (String field : List.of("Ec2SubnetId", "EmrManagedMasterSecurityGroup", "EmrManagedSlaveSecurityGroup")) {
            String value = cluster.get("Instances").path(field).asText();
            Matcher parameter = Pattern.compile("\\{% \\$states\\.input\\.(\\w+) %}").matcher(value);
            assertTrue(parameter.matches(), field + " comes from the execution's input: " + value);
            assertTrue(input.path(parameter.group(1)).asText().matches("(subnet|sg)-\\w+"), "the schedule's input gives " + parameter.group(1) + ": " + input);
        }

        int idle = cluster.path("AutoTerminationPolicy").path("IdleTimeout").asInt();
        assertTrue(idle >= 60 && idle <= 7 * 24 * 3600, "an idle timeout (AutoTerminationPolicy.IdleTimeout) in EMR's range, 60 s to 7 days: " + idle);
        JsonNode retry = states.get("Train").get("Retry").get(0);
        double longestWait = retry.get("IntervalSeconds").asDouble()
                * Math.pow(retry.path("BackoffRate").asDouble(2), retry.get("MaxAttempts").asInt() - 1);
        assertTrue(idle > longestWait, "the cluster outlives the wait before a retry of the step (" + longestWait + " s): " + idle);
    }

    /**
     * What Step Functions calls for each EMR integration (AWS's "IAM policies for calling Amazon EMR"): the EMR
     * actions, and the EventBridge rule (with events:PutTargets, PutRule, DescribeRule) that a .sync integration
     * watches. addStep.sync cancels the step (CancelSteps) when the execution is stopped.
     */
    static final Map<String, List<String>> PERMISSIONS = Map.of(
            "arn:aws:states:::elasticmapreduce:createCluster.sync", List.of("elasticmapreduce:RunJobFlow",
                    "elasticmapreduce:DescribeCluster", "elasticmapreduce:TerminateJobFlows", "StepFunctionsGetEventForEMRRunJobFlowRule"),
            "arn:aws:states:::elasticmapreduce:addStep.sync", List.of("elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep",
                    "elasticmapreduce:CancelSteps", "StepFunctionsGetEventForEMRAddJobFlowStepsRule"),
            "arn:aws:states:::elasticmapreduce:terminateCluster.sync", List.of("elasticmapreduce:TerminateJobFlows",
                    "elasticmapreduce:DescribeCluster", "StepFunctionsGetEventForEMRTerminateJobFlowsRule"));

    @Test
    void theReadmesIamListHasEveryActionTheStateMachineUses() throws IOException {
        String readme = Files.readString(Scripts.deploy("emr/README.md"));
        int start = readme.indexOf("\n## IAM");
        assertTrue(start >= 0, "deploy/emr/README.md has an IAM section");
        int end = readme.indexOf("\n## ", start + 1);
        String iam = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> needed = new ArrayList<>(List.of("iam:PassRole", "events:PutTargets", "events:PutRule", "events:DescribeRule",
                "states:StartExecution"));
        JsonNode cluster = stateMachine.get("States").get(stateMachine.get("StartAt").asText()).get("Arguments");
        needed.add(cluster.get("ServiceRole").asText());
        needed.add(cluster.get("JobFlowRole").asText());
        stateMachine.get("States").fields().forEachRemaining(state -> {
            if (state.getValue().get("Type").asText().equals("Task")) {
                String resource = state.getValue().get("Resource").asText();
                assertTrue(PERMISSIONS.containsKey(resource), state.getKey() + " uses " + resource + ": add what it calls here and to the README");
                needed.addAll(PERMISSIONS.get(resource));
            }
        });
        for (String name : needed) {
            assertTrue(iam.contains("`" + name + "`"), "deploy/emr/README.md's IAM section lacks `" + name + "`");
        }
    }

    @Test
    void eventBridgeStartsTheStateMachineWeekly() throws IOException {
        JsonNode schedule = JSON.readTree(Scripts.deploy("emr/schedule.json").toFile());
        String cron = schedule.get("ScheduleExpression").asText();
        assertTrue(cron.matches("cron\\(\\S+ \\S+ \\? \\* (MON|TUE|WED|THU|FRI|SAT|SUN) \\*\\)"), "weekly: " + cron);
        assertEquals("ENABLED", schedule.get("State").asText());
        assertTrue(schedule.get("Target").get("Arn").asText().matches("arn:aws:states:[^:]+:[^:]+:stateMachine:[\\w-]+"));
    }
}
