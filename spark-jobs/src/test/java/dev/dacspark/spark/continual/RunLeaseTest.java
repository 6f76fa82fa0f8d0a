package dev.dacspark.spark.continual;

import dev.dacspark.spark.storage.Storage;
import dev.dacspark.testing.S3ProxyServer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run's lease on the local filesystem (and on S3 through S3Proxy): one holder, expiry, renewal, loss, release. */
class RunLeaseTest {
    static final Configuration HADOOP = new Configuration();
    /** Long enough that no renewal changes the file while a test reads it. */
    static final Duration LONG = Duration.ofMinutes(5);
    static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    @Test
    void ofTwoStartsRacingForAFreeRunExactlyOneGetsItAndTheOtherIsToldWhoHasIt() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String run = Storage.location(dir, "race-" + round);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<RunLease>> starts = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    starts.add(pool.submit(() -> {
                        go.await();
                        return RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {});
                    }));
                }
                go.countDown();
                List<RunLease> won = new ArrayList<>();
                List<Throwable> refused = new ArrayList<>();
                for (Future<RunLease> start : starts) {
                    try {
                        won.add(start.get(30, TimeUnit.SECONDS));
                    } catch (ExecutionException e) {
                        refused.add(e.getCause());
                    }
                }
                assertEquals(1, won.size(), "round " + round + ": winners; refusals " + refused);
                RunLease.Holder holder = RunLease.read(run + "/" + RunLease.FILE, HADOOP);
                assertInstanceOf(IllegalStateException.class, refused.get(0));
                String message = refused.get(0).getMessage();
                assertTrue(message.contains("in use by another start of this run: host " + holder.host() + ", pid " + PID
                        + ", started " + holder.started() + ", lease expires " + holder.expires()), message);
                assertTrue(message.contains("wait for that start to end; if that process is dead, start again after "
                        + holder.expires()), message);
                won.get(0).close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExpiredLeaseIsTakenOver() throws Exception {
        String run = Storage.location(dir, "expired");
        place(run, "gone-host", 4242, "gone-token", Instant.now().minusSeconds(1));
        try (RunLease lease = RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {})) {
            RunLease.Holder now = RunLease.read(run + "/" + RunLease.FILE, HADOOP);
            assertNotEquals("gone-token", now.token());
            assertEquals(PID, now.pid());
            lease.check();
        }
    }

    @Test
    void aLiveLeaseOfADeadProcessOfThisHostIsTakenOverAtOnceAndOfALiveOneRefused() throws Exception {
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Process ended = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, ended.waitFor());
        String orphaned = Storage.location(dir, "orphaned");
        place(orphaned, host, ended.pid(), "orphaned-token", Instant.now().plusSeconds(600));
        try (RunLease lease = RunLease.acquire(orphaned, HADOOP, LONG, LONG.dividedBy(2), () -> {})) {
            assertEquals(PID, RunLease.read(orphaned + "/" + RunLease.FILE, HADOOP).pid());
        }
        // a live process of this host (this one) still holds its lease
        String held = Storage.location(dir, "held-here");
        place(held, host, PID, "held-token", Instant.now().plusSeconds(600));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RunLease.acquire(held, HADOOP, LONG, LONG.dividedBy(2), () -> {}));
        assertTrue(e.getMessage().contains("pid " + PID), e.getMessage());
    }

    @Test
    void aLiveLeaseIsRefusedUntilItExpires() throws Exception {
        String run = Storage.location(dir, "live");
        Instant expiry = Instant.now().plusSeconds(4);
        place(run, "busy-host", 4242, "busy-token", expiry);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {}));
        assertTrue(e.getMessage().contains("host busy-host, pid 4242") && e.getMessage().contains("start again after " + expiry),
                e.getMessage());
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis() + 100));
        RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {}).close();
    }

    @Test
    void renewalKeepsTheLeaseAlivePastItsTimeToLive() throws Exception {
        String run = Storage.location(dir, "renewed");
        Duration ttl = Duration.ofSeconds(1);
        try (RunLease lease = RunLease.acquire(run, HADOOP, ttl, Duration.ofMillis(200), () -> {})) {
            Instant first = RunLease.read(run + "/" + RunLease.FILE, HADOOP).expiry();
            Thread.sleep(2500);
            lease.check();
            Instant later = RunLease.read(run + "/" + RunLease.FILE, HADOOP).expiry();
            assertTrue(later.isAfter(first.plus(ttl)), "expiry " + first + " was not pushed forward: " + later);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RunLease.acquire(run, HADOOP, ttl, Duration.ofMillis(200), () -> {}));
            assertTrue(e.getMessage().contains("in use by another start"), e.getMessage());
        }
    }

    @Test
    void aLeaseTakenOverByAnotherStartIsReportedLostAndNotReleased() throws Exception {
        String run = Storage.location(dir, "taken");
        CountDownLatch lost = new CountDownLatch(1);
        RunLease lease = RunLease.acquire(run, HADOOP, Duration.ofSeconds(5), Duration.ofMillis(100), lost::countDown);
        // what another start does when it takes a lease over: delete it, create its own
        Storage.delete(run + "/" + RunLease.FILE, HADOOP);
        place(run, "usurper-host", 777, "usurper-token", Instant.now().plus(LONG));
        assertTrue(lost.await(10, TimeUnit.SECONDS), "the renewer did not report the loss");
        IllegalStateException e = assertThrows(IllegalStateException.class, lease::check);
        assertTrue(e.getMessage().contains("this start lost the run's lease and stops writing: its lease was taken over by "
                + "host usurper-host, pid 777"), e.getMessage());
        lease.close();
        assertEquals("usurper-token", RunLease.read(run + "/" + RunLease.FILE, HADOOP).token(), "the new holder's lease stays");
    }

    @Test
    void closingReleasesTheLease() throws Exception {
        String run = Storage.location(dir, "released");
        Path file = dir.resolve("released").resolve(RunLease.FILE);
        RunLease lease = RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {});
        assertTrue(Files.exists(file));
        lease.close();
        assertFalse(Files.exists(file));
        RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {}).close(); // at once: nothing to wait for
    }

    @Test
    void aStartEndedBySigtermReleasesItsLease() throws Exception {
        String run = Storage.location(dir, "sigterm");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), HoldingStart.class.getName(), run)
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line = out.readLine(); line != null && !line.equals(HoldingStart.HELD); line = out.readLine()) {
                lines.add(line);
            }
            assertTrue(p.isAlive(), "the holding start ended: " + lines);
            assertEquals(p.pid(), RunLease.read(run + "/" + RunLease.FILE, HADOOP).pid());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(dir.resolve("sigterm").resolve(RunLease.FILE)), "the lease outlived its start");
    }

    @Test
    void anUnreadableLeaseFailsNamingTheFile() throws Exception {
        String run = Storage.location(dir, "unreadable");
        Storage.createExclusive(run + "/" + RunLease.FILE, new byte[0], HADOOP);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RunLease.acquire(run, HADOOP, LONG, LONG.dividedBy(2), () -> {}));
        assertTrue(e.getMessage().contains(run + "/" + RunLease.FILE + " is not a readable lease (empty)")
                && e.getMessage().contains("if no start of this run is alive, delete it"), e.getMessage());
    }

    @Test
    void onS3ASecondStartIsRefusedAndReleaseDeletesTheLease() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.launch()) {
            String bucket = "lease-" + Long.toHexString(System.nanoTime());
            s3.createBucket(bucket);
            Configuration hadoop = new Configuration();
            s3.s3aSettings().forEach(hadoop::set);
            String run = "s3a://" + bucket + "/runs/r1";
            RunLease lease = RunLease.acquire(run, hadoop, LONG, LONG.dividedBy(2), () -> {});
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RunLease.acquire(run, hadoop, LONG, LONG.dividedBy(2), () -> {}));
            assertTrue(e.getMessage().contains("in use by another start of this run: host ") && e.getMessage().contains("pid " + PID),
                    e.getMessage());
            lease.close();
            assertFalse(Storage.exists(run + "/" + RunLease.FILE, hadoop));
        }
    }

    /** A lease file of another start, written as a start writes it. */
    static void place(String run, String host, long pid, String token, Instant expires) throws Exception {
        String json = """
                {"host": "%s", "pid": %d, "started": "2024-05-01T10:00:00Z", "token": "%s", "expires": "%s"}
                """.formatted(host, pid, token, expires);
        assertTrue(Storage.createExclusive(run + "/" + RunLease.FILE, json.getBytes(StandardCharsets.UTF_8), HADOOP));
    }

    /** A start in its own JVM that takes a run's lease, says so, and holds it until the JVM is ended. */
    public static final class HoldingStart {
        static final String HELD = "lease held";

        public static void main(String[] args) throws Exception {
            RunLease.acquire(args[0], new Configuration(), LONG, LONG.dividedBy(2), () -> {});
            System.out.println(HELD);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
