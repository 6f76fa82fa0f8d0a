package dev.dacspark.testing;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real S3 server for tests: S3Proxy 4.1.0 in a child JVM on 127.0.0.1, storing objects under a temporary
 * folder (jclouds provider {@code filesystem}), so that data survives {@link #stop()} and {@link #start()}.
 *
 * <p>S3Proxy runs in its own JVM because its Jackson, Guava and logback clash with Spark's; its jars are copied
 * by the build into {@code target/s3proxy/lib} (system property {@value #LIB_DIR_PROPERTY}, set by surefire; see
 * {@code spark-jobs/s3proxy/pom.xml}). Its log (WARN and above) goes to {@code s3proxy.log} in the work folder and
 * is quoted in the exception when the server does not come up.
 *
 * <p>Clients: {@link #s3aSettings()} for a Hadoop {@code Configuration}, {@link #sparkSettings()} for a
 * {@code SparkSession}. Hadoop caches {@code FileSystem} instances per scheme and bucket for the whole JVM, so a
 * cached {@code s3a://bucket} would keep talking to an earlier server's port: use {@code FileSystem.newInstance}
 * (and close it), or bucket names that are unique per server (Spark always goes through the cache).
 *
 * <p>{@link #close()} kills the child and deletes the work folder; a shutdown hook kills the child if the test
 * JVM exits without closing (a JVM killed with SIGKILL leaves it running).
 */
public final class S3ProxyServer implements AutoCloseable {

    /** System property naming the folder with S3Proxy and its dependencies. */
    public static final String LIB_DIR_PROPERTY = "s3proxy.lib.dir";
    /** The S3 region the clients sign for; S3Proxy accepts any. */
    public static final String REGION = "us-east-1";

    private static final String ACCESS_KEY = "dac-test-access";
    private static final String SECRET_KEY = "dac-test-secret";
    /** A cold JVM start on a busy 2-core machine takes 2-5 s; this only bounds a start that has gone wrong. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How long {@link #stop()} lets S3Proxy shut down on SIGTERM before killing it. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_BYTES = 4000;

    private final Path libDir;
    private final Path workDir;
    private final Path dataDir;
    private final Path logFile;
    private final int port;
    private final Thread shutdownHook;
    /** The running child, or null; volatile for the shutdown hook, which must not wait for a lock. */
    private volatile Process process;
    /** Where the current run's output starts in the log, which all runs append to. */
    private long logOffset;

    private S3ProxyServer(Path libDir, Path workDir, int port) {
        this.libDir = libDir;
        this.workDir = workDir;
        this.dataDir = workDir.resolve("data");
        this.logFile = workDir.resolve("s3proxy.log");
        this.port = port;
        this.shutdownHook = new Thread(() -> {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }, "s3proxy-kill-" + port);
    }

    /**
     * Starts a server on a free port with an empty store under a new temporary folder.
     *
     * @throws IllegalStateException if the S3Proxy jars are missing or the server does not answer in time
     */
    public static S3ProxyServer launch() throws IOException {
        Path libDir = Path.of(System.getProperty(LIB_DIR_PROPERTY, "target/s3proxy/lib"));
        if (!containsS3ProxyJar(libDir)) {
            throw new IllegalStateException("S3Proxy jars not found in " + libDir.toAbsolutePath()
                    + " (system property " + LIB_DIR_PROPERTY + "); the build copies them there in"
                    + " generate-test-resources: mvn -pl spark-jobs generate-test-resources");
        }
        S3ProxyServer server = new S3ProxyServer(libDir, Files.createTempDirectory("s3proxy-"), freeLoopbackPort());
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        try {
            Files.createDirectories(server.dataDir);
            server.writeConfig();
            server.start();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** {@code http://127.0.0.1:PORT}; the port stays the same across {@link #stop()} and {@link #start()}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    /** Whether the child JVM is alive: false after {@link #stop()} and {@link #close()}, or if it died. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * S3A settings for this server, for a Hadoop {@code Configuration} ({@code settings.forEach(conf::set)}).
     *
     * <p>Retries are cut down so that an unreachable server fails an operation within seconds instead of the
     * defaults' minutes: the AWS SDK does not retry ({@code fs.s3a.attempts.maximum=0}) and S3A retries twice,
     * 100 ms then 200 ms apart ({@code fs.s3a.retry.limit=2}, {@code fs.s3a.retry.interval=100ms}; the same for
     * throttling). Connecting times out after 2 s, a silent connection after 10 s (enough for a 5 MB part on a
     * loaded machine).
     *
     * <p>{@code fs.s3a.change.detection.mode=client}: S3A compares ETags itself instead of sending them as
     * preconditions. With the default mode {@code server}, S3Proxy fails the {@code x-amz-copy-source-if-match}
     * precondition on the part copies of an object larger than {@code fs.s3a.multipart.threshold} (the SDK reports
     * "Unable to copy part"), so renaming such an object fails. Production code should still write final names
     * directly: an S3 rename is a copy and a delete.
     */
    public Map<String, String> s3aSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("fs.s3a.endpoint", endpoint());
        s.put("fs.s3a.endpoint.region", REGION);
        s.put("fs.s3a.path.style.access", "true");
        s.put("fs.s3a.connection.ssl.enabled", "false");
        s.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        s.put("fs.s3a.access.key", ACCESS_KEY);
        s.put("fs.s3a.secret.key", SECRET_KEY);
        s.put("fs.s3a.change.detection.mode", "client");
        s.put("fs.s3a.attempts.maximum", "0");
        s.put("fs.s3a.retry.limit", "2");
        s.put("fs.s3a.retry.interval", "100ms");
        s.put("fs.s3a.retry.throttle.limit", "2");
        s.put("fs.s3a.retry.throttle.interval", "100ms");
        s.put("fs.s3a.connection.establish.timeout", "2000");
        s.put("fs.s3a.connection.timeout", "10000");
        return Collections.unmodifiableMap(s);
    }

    /** {@link #s3aSettings()} as {@code spark.hadoop.*} settings for a {@code SparkSession} builder. */
    public Map<String, String> sparkSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s3aSettings().forEach((k, v) -> s.put("spark.hadoop." + k, v));
        return Collections.unmodifiableMap(s);
    }

    /** Creates a bucket through the S3 API (the AWS SDK, without retries). */
    public void createBucket(String name) {
        AmazonS3 s3 = AmazonS3ClientBuilder.standard()
                .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(endpoint(), REGION))
                .withPathStyleAccessEnabled(true)
                .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials(ACCESS_KEY, SECRET_KEY)))
                .withClientConfiguration(new ClientConfiguration().withMaxErrorRetry(0).withConnectionTimeout(2000))
                .build();
        try {
            s3.createBucket(name);
        } finally {
            s3.shutdown();
        }
    }

    /**
     * Starts the child JVM on this server's port and waits until it answers HTTP.
     *
     * @throws IllegalStateException if it is already running, exits, or does not answer within a minute; the
     *                               message quotes the end of its log
     */
    public synchronized void start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("S3Proxy already running on " + endpoint());
        }
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // C1 only: starts in about 2 s instead of 4 s on a busy 2-core machine (C2 threads compete).
                "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + workDir.resolve("logback.xml"),
                "-cp", libDir.toAbsolutePath() + File.separator + "*",
                "org.gaul.s3proxy.Main",
                "--properties", workDir.resolve("s3proxy.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
        process = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers()) {
            if (!process.isAlive()) {
                int code = process.exitValue();
                process = null;
                throw new IllegalStateException("S3Proxy exited with code " + code + " while starting on "
                        + endpoint() + "; end of " + logFile + ":\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new IllegalStateException("S3Proxy did not answer on " + endpoint() + " within "
                        + START_TIMEOUT.toSeconds() + " s; end of " + logFile + ":\n" + logTail());
            }
            sleep(100);
        }
    }

    /**
     * Stops the child JVM (SIGTERM, then a kill after 10 s) and returns once it has exited and the port is free.
     * The stored objects stay; {@link #start()} brings them back on the same port. Does nothing if stopped.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while stopping S3Proxy on " + endpoint(), e);
        }
        process = null;
    }

    /** Kills the child JVM and deletes the work folder with the stored objects. */
    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shutdownInProgress) {
            // The JVM is exiting and runs the hook, which finds the child gone.
        }
        deleteRecursively(workDir);
    }

    private synchronized void kill() {
        if (process == null) {
            return;
        }
        try {
            process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Whether anything answers HTTP on the port (S3Proxy answers an anonymous GET / with 403). */
    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            try {
                return c.getResponseCode() > 0;
            } finally {
                c.disconnect();
            }
        } catch (IOException notYet) {
            return false;
        }
    }

    private void writeConfig() throws IOException {
        Files.writeString(workDir.resolve("s3proxy.conf"), String.join("\n",
                "s3proxy.endpoint=" + endpoint(),
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dataDir,
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY,
                ""));
        // Without a configuration logback logs everything at DEBUG.
        Files.writeString(workDir.resolve("logback.xml"), String.join("\n",
                "<configuration>",
                "  <appender name=\"OUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"WARN\"><appender-ref ref=\"OUT\"/></root>",
                "</configuration>",
                ""));
    }

    /** The end of the current run's output. */
    private String logTail() {
        try {
            byte[] all = Files.readAllBytes(logFile);
            int from = (int) Math.max(logOffset, all.length - LOG_TAIL_BYTES);
            return (from > logOffset ? "..." : "") + new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static boolean containsS3ProxyJar(Path libDir) throws IOException {
        if (!Files.isDirectory(libDir)) {
            return false;
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(libDir, "s3proxy-*.jar")) {
            return jars.iterator().hasNext();
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}
