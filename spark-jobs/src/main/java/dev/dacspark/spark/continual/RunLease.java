package dev.dacspark.spark.continual;

import dev.dacspark.spark.storage.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One writer per run: the lease {@code _lease.json} in the run folder, which a start of the run holds
 * from before it opens the folder until it ends. It names the holder (host, pid, start time, a random
 * token) and an expiry, which a daemon thread pushes forward every {@code renew} while the start lives.
 * Another start of the run is refused while the lease is live, naming its holder; a lease past its
 * expiry (its start died without releasing it) is taken over, and so is a live one whose holder is a process of
 * this host that no longer runs ({@link #deadOnThisHost}). The lease is released (deleted) when the
 * start ends, normally, by an exception, or by a JVM shutdown (SIGTERM); a start killed outright leaves
 * it to expire.
 *
 * <p>How exclusive taking a lease is depends on the filesystem ({@link Storage#createExclusive}): on
 * file:// and HDFS the creation is atomic, so of two starts racing for a free run exactly one gets it.
 * On S3 with Hadoop 3.3.4 it is best-effort: S3A checks for the object (HEAD), then PUTs, and two starts
 * can both pass the check. Every taking that is not atomic (on S3, and taking over an expired lease,
 * which deletes it first) waits {@link #SETTLE} and reads the lease back: a start that finds another's
 * token lost the race and fails before it writes anything. A renewal that finds another's token (or no
 * lease) means the run was taken over: the lease counts as lost, {@code onLoss} runs (the job cancels its
 * Spark jobs) and {@link #check} fails, so the start stops instead of writing beside the new holder.
 * Hadoop 3.4.2's S3A (HADOOP-19256) can make the creation a conditional PUT ({@code If-None-Match: *},
 * with {@code fs.s3a.create.conditional.enabled}), which would make it atomic on S3 too.
 *
 * <p>Expiries are wall-clock times: the hosts that start a run must have clocks that agree to well
 * within the lease's time to live.
 */
final class RunLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);
    static final String FILE = "_lease.json";
    /**
     * The wait before a lease taken by a check-then-write is read back: two racing starts each write right
     * after their check, so a rival's write lands within a request's time of one's own, well inside this.
     */
    static final Duration SETTLE = Duration.ofSeconds(2);
    /** A lease that reads empty or partial is being written (HDFS, file://): read again, this often and long. */
    private static final int READ_TRIES = 10;
    private static final long READ_WAIT_MS = 200;
    /** Hadoop runs shutdown hooks by priority, highest first: after Spark stops its context, before filesystems close. */
    private static final int SHUTDOWN_PRIORITY = FileSystem.SHUTDOWN_HOOK_PRIORITY + 1;

    /** Who holds a lease and until when: the lease file's JSON. */
    record Holder(String host, long pid, String started, String token, String expires) {
        Instant expiry() {
            return Instant.parse(expires);
        }

        Holder until(Instant expiry) {
            return new Holder(host, pid, started, token, expiry.toString());
        }

        String describe() {
            return "host " + host + ", pid " + pid + ", started " + started + ", lease expires " + expires;
        }
    }

    private final String runDir;
    private final String uri;
    private final Configuration hadoop;
    private final Duration ttl;
    private final Runnable onLoss;
    private final ScheduledExecutorService renewer;
    private final Runnable shutdownHook = this::release;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile Holder mine;
    private volatile String lost;

    private RunLease(String runDir, Configuration hadoop, Holder mine, Duration ttl, Duration renew, Runnable onLoss) {
        this.runDir = runDir;
        this.uri = runDir + "/" + FILE;
        this.hadoop = hadoop;
        this.mine = mine;
        this.ttl = ttl;
        this.onLoss = onLoss;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "run-lease " + runDir);
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleWithFixedDelay(this::renew, renew.toMillis(), renew.toMillis(), TimeUnit.MILLISECONDS);
        ShutdownHookManager.get().addShutdownHook(shutdownHook, SHUTDOWN_PRIORITY);
    }

    /**
     * Takes the lease of a run folder, or fails naming the start that holds it. The lease lives for
     * {@code ttl} from each renewal, every {@code renew}; {@code onLoss} runs on the renewing thread if
     * the lease is lost. An output that cannot be written fails with an IllegalArgumentException naming
     * {@code dac.output}.
     */
    static RunLease acquire(String runDir, Configuration hadoop, Duration ttl, Duration renew, Runnable onLoss) {
        String uri = runDir + "/" + FILE;
        Instant now = Instant.now();
        Holder me = new Holder(localHost(), ProcessHandle.current().pid(), now.toString(),
                UUID.randomUUID().toString(), now.plus(ttl).toString());
        Holder expired = removeExpired(runDir, uri, hadoop);
        if (!create(runDir, uri, me, hadoop)) {
            throw refusedAfterRace(runDir, uri, expired, hadoop);
        }
        if (expired != null || !Storage.createIsAtomic(uri, hadoop)) {
            sleep(SETTLE.toMillis()); // a check-then-write: a rival's write lands by now
        }
        Holder back = read(uri, hadoop);
        if (back == null || !back.token().equals(me.token())) {
            throw new IllegalStateException("run folder " + runDir + ": another start took the run's lease at the same time ("
                    + (back == null ? "and released it" : back.describe()) + "); this start stops before writing anything");
        }
        LOG.info("run folder {}: lease taken ({}, renewed every {} ms)", runDir, me.describe(), renew.toMillis());
        return new RunLease(runDir, hadoop, me, ttl, renew, onLoss);
    }

    /** Fails naming the holder of a live lease; deletes an expired one and returns it (null when there was none). */
    private static Holder removeExpired(String runDir, String uri, Configuration hadoop) {
        Holder found = read(uri, hadoop);
        if (found == null) {
            return null;
        }
        boolean dead = deadOnThisHost(found);
        if (found.expiry().isAfter(Instant.now()) && !dead) {
            throw inUse(runDir, found);
        }
        LOG.warn("run folder {}: taking over the {} lease of {} (a start that ended without releasing it)", runDir,
                dead ? "live but orphaned" : "expired", found.describe());
        Storage.delete(uri, hadoop);
        return found;
    }

    /**
     * Whether the holder is a process of this host that no longer runs (a driver killed outright here, e.g. a sweep
     * started again on the same machine): its lease is taken over at once instead of after its expiry. A pid that
     * was reused by another process reads alive, and the lease is left to expire. Host names must tell machines
     * apart (containers that share a name and storage but not a process table would take each other's leases).
     */
    static boolean deadOnThisHost(Holder holder) {
        return holder.host().equals(localHost()) && ProcessHandle.of(holder.pid()).map(ph -> !ph.isAlive()).orElse(true);
    }

    /** The refusal when another start's lease appeared between the check and the creation. */
    private static IllegalStateException refusedAfterRace(String runDir, String uri, Holder expired, Configuration hadoop) {
        Holder winner = read(uri, hadoop);
        if (winner == null) {
            return new IllegalStateException("run folder " + runDir + ": another start took the run's lease and released it "
                    + "while this one tried to take it; start again");
        }
        if (expired != null && winner.token().equals(expired.token())) {
            return new IllegalStateException("run folder " + runDir + ": cannot remove the expired lease " + uri + " of "
                    + expired.describe() + "; delete it");
        }
        return inUse(runDir, winner);
    }

    /**
     * A failure of the start as it should reach the user: when the start lost its lease (which cancelled its Spark
     * jobs), the loss, with the failure it caused as the cause.
     */
    RuntimeException explain(RuntimeException failure) {
        String why = lost;
        return why == null || why.equals(failure.getMessage()) ? failure : new IllegalStateException(why, failure);
    }

    /** Fails when this start lost the lease: it must not write to the run folder any more. */
    void check() {
        if (lost != null) {
            throw new IllegalStateException(lost);
        }
    }

    /** Stops renewing and deletes the lease if it is still this start's. */
    @Override
    public void close() {
        try {
            ShutdownHookManager.get().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook releases the lease
        }
        release();
    }

    private void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        renewer.shutdown();
        try {
            if (!renewer.awaitTermination(ttl.toMillis(), TimeUnit.MILLISECONDS)) {
                renewer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lost != null) {
            return; // the file is the new holder's
        }
        Holder found;
        try {
            found = read(uri, hadoop);
        } catch (RuntimeException e) {
            warnUnreleased(e.getMessage());
            return;
        }
        if (found != null && found.token().equals(mine.token())) {
            if (Storage.delete(uri, hadoop)) {
                LOG.info("run folder {}: lease released", runDir);
            } else {
                warnUnreleased("the delete failed");
            }
        }
    }

    private void warnUnreleased(String why) {
        LOG.warn("run folder {}: cannot release the lease {} ({}); the next start takes it over after {}", runDir, uri, why,
                mine.expires());
    }

    /** The renewing thread's step: pushes the expiry forward, unless the lease is no longer this start's. */
    private void renew() {
        try {
            Holder found = read(uri, hadoop);
            if (found == null) {
                lose("its lease " + uri + " is gone (deleted by someone else)");
            } else if (!found.token().equals(mine.token())) {
                lose("its lease was taken over by " + found.describe());
            } else {
                Holder next = mine.until(Instant.now().plus(ttl));
                Storage.overwrite(uri, RunManifest.JSON.writeValueAsBytes(next), hadoop);
                mine = next;
            }
        } catch (IOException | RuntimeException e) {
            if (Instant.now().isAfter(mine.expiry())) {
                lose("it could not renew its lease " + uri + " before it expired at " + mine.expires() + " (" + e.getMessage()
                        + "), so another start may have taken the run over");
            } else {
                LOG.warn("run folder {}: renewing the lease failed, trying again (it expires at {}): {}", runDir, mine.expires(),
                        e.getMessage());
            }
        }
    }

    private void lose(String reason) {
        lost = "run folder " + runDir + ": this start lost the run's lease and stops writing: " + reason
                + ". Two starts of one run would write the same files; the holder carries on with the run";
        LOG.error(lost);
        renewer.shutdown();
        try {
            onLoss.run();
        } catch (RuntimeException e) {
            LOG.error("run folder {}: stopping the start's work after the lease was lost failed: {}", runDir, e.getMessage(), e);
        }
    }

    private static IllegalStateException inUse(String runDir, Holder holder) {
        return new IllegalStateException("run folder " + runDir + " is in use by another start of this run: " + holder.describe()
                + ". Two starts of one run would write the same files: wait for that start to end; if that process is dead, "
                + "start again after " + holder.expires() + ", when its lease is taken over");
    }

    private static boolean create(String runDir, String uri, Holder me, Configuration hadoop) {
        try {
            return Storage.createExclusive(uri, RunManifest.JSON.writeValueAsBytes(me), hadoop);
        } catch (IOException e) {
            throw new IllegalArgumentException("dac.output: cannot write the run folder " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** The lease at uri, null when there is none; one that stays unreadable (empty, not a lease) fails naming the file. */
    static Holder read(String uri, Configuration hadoop) {
        String problem = null;
        for (int i = 0; i < READ_TRIES; i++) {
            try {
                byte[] bytes = Storage.readBytes(uri, hadoop);
                return bytes == null ? null : parse(bytes);
            } catch (IOException | IllegalArgumentException | DateTimeException e) {
                problem = e.getMessage();
                sleep(READ_WAIT_MS);
            }
        }
        throw new IllegalStateException(uri + " is not a readable lease (" + problem + "); a start that died while writing it "
                + "leaves it empty: if no start of this run is alive, delete it");
    }

    private static Holder parse(byte[] bytes) throws IOException {
        Holder h = bytes.length == 0 ? null : RunManifest.JSON.readValue(bytes, Holder.class);
        if (h == null || h.token() == null || h.expires() == null) {
            throw new IllegalArgumentException(bytes.length == 0 ? "empty" : "no token and expiry in " + new String(bytes,
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        h.expiry(); // a DateTimeException when it is no time
        return h;
    }

    private static String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the lease names this host, whose name does not resolve: " + e.getMessage(), e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while taking or reading the run's lease", e);
        }
    }
}
