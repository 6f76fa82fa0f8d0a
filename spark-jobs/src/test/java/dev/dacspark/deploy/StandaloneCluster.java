package dev.dacspark.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone Master and one Worker on 127.0.0.1, each its own JVM, from this JVM's classpath, with a
 * SPARK_HOME that stands in for a Spark distribution: an empty jars/ folder, the classpath in SPARK_DIST_CLASSPATH
 * (Spark's own variable for a distribution's extra classpath, which the launcher and the Worker add to the
 * drivers and executors they start), and a bin/spark-submit that does what Spark's does through bin/spark-class:
 * org.apache.spark.launcher.Main builds the driver's command (spark.driver.extraJavaOptions, --driver-memory,
 * SPARK_SUBMIT_OPTS), then it runs.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");

    final Path sparkHome;
    final String masterUrl;
    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();

    /** Starts the Master and a Worker of {@code cores} cores and {@code memory} (e.g. "3g"); returns once the Worker registered. */
    StandaloneCluster(Path dir, int cores, String memory) {
        this.dir = dir;
        try {
            sparkHome = dir.resolve("spark-home");
            Files.createDirectories(sparkHome.resolve("jars"));
            Scripts.executable(sparkHome.resolve("bin/spark-submit"), """
                    #!/usr/bin/env bash
                    # bin/spark-submit -> bin/spark-class of a Spark distribution, with the classpath in SPARK_DIST_CLASSPATH
                    build_command() {
                      "$JAVA_HOME/bin/java" -Xmx128m -cp "$SPARK_DIST_CLASSPATH" org.apache.spark.launcher.Main \\
                          org.apache.spark.deploy.SparkSubmit "$@"
                      printf '%d\\0' $?
                    }
                    # the launcher prints messages, a line holding a NUL, then the command's arguments each ended by a NUL
                    CMD=()
                    DELIM=$'\n'
                    while IFS= read -d "$DELIM" -r ARG; do
                      if [ -z "$DELIM" ]; then CMD+=("$ARG"); elif [ -z "$ARG" ]; then DELIM=''; else echo "$ARG"; fi
                    done < <(build_command "$@")
                    LAST=$((${#CMD[@]} - 1))
                    [ "${CMD[$LAST]}" = 0 ] || exit "${CMD[$LAST]}"
                    exec "${CMD[@]:0:$LAST}"
                    """);
            // the daemons log their start-up at INFO (the test classpath's log4j2.properties keeps Spark at WARN)
            Files.writeString(dir.resolve("log4j2-daemons.properties"), """
                    rootLogger.level = warn
                    rootLogger.appenderRef.stderr.ref = stderr
                    appender.stderr.type = Console
                    appender.stderr.name = stderr
                    appender.stderr.target = SYSTEM_ERR
                    appender.stderr.layout.type = PatternLayout
                    appender.stderr.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
                    logger.deploy.name = org.apache.spark.deploy
                    logger.deploy.level = info
                    """);
            Path masterLog = dir.resolve("master.log");
            daemons.add(daemon("org.apache.spark.deploy.master.Master", masterLog, "--host", "127.0.0.1", "--port", "0",
                    "--webui-port", "0"));
            masterUrl = awaitLog(masterLog, MASTER_URL).group(1);
            Path workerLog = dir.resolve("worker.log");
            daemons.add(daemon("org.apache.spark.deploy.worker.Worker", workerLog, "--host", "127.0.0.1", "--cores",
                    String.valueOf(cores), "--memory", memory, "--webui-port", "0", "--work-dir", dir.resolve("work").toString(), masterUrl));
            awaitLog(workerLog, Pattern.compile("Successfully registered with master"));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The environment of a spark-submit against this cluster: its SPARK_HOME and classpath, this JVM's java, and this
     * machine's DJL cache (DJL's default, where the tests' libtorch is) instead of conf/platforms/standalone.conf's.
     */
    Map<String, String> submitEnvironment() {
        return Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_DIST_CLASSPATH", System.getProperty("java.class.path"),
                "JAVA_HOME", System.getProperty("java.home"), "SPARK_LOCAL_IP", "127.0.0.1",
                "DJL_CACHE_DIR", System.getenv().getOrDefault("DJL_CACHE_DIR", Path.of(System.getProperty("user.home"), ".djl.ai").toString()));
    }

    /** The Master's and the Worker's logs, for failure messages. */
    String logs() {
        StringBuilder b = new StringBuilder();
        for (String name : List.of("master.log", "worker.log")) {
            try {
                b.append("--- ").append(name).append('\n').append(Files.readString(dir.resolve(name)));
            } catch (IOException e) {
                b.append("(").append(e.getMessage()).append(")\n");
            }
        }
        return b.toString();
    }

    private Process daemon(String mainClass, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "@" + Scripts.repo().resolve("conf/jvm.options"),
                "-Dlog4j2.configurationFile=" + dir.resolve("log4j2-daemons.properties").toUri(),
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(submitEnvironment());
        return pb.start();
    }

    private Matcher awaitLog(Path log, Pattern pattern) {
        long deadline = System.nanoTime() + 90_000_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                if (Files.exists(log)) {
                    Matcher m = pattern.matcher(Files.readString(log));
                    if (m.find()) {
                        return m;
                    }
                }
                if (daemons.stream().anyMatch(p -> !p.isAlive())) {
                    throw new IllegalStateException("a Spark daemon ended while starting\n" + logs());
                }
                Thread.sleep(200);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no '" + pattern + "' in " + log + " within 90 s\n" + logs());
    }

    /** Stops the Worker (with the executors it started) and the Master. */
    @Override
    public void close() {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process p = daemons.get(i);
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            try {
                p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
        }
        daemons.clear();
    }
}
