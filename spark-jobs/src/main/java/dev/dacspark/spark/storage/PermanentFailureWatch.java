package dev.dacspark.spark.storage;

import org.apache.spark.ExceptionFailure;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Watches the tasks of the driver's Spark jobs while it is open: at the first task that fails with a
 * {@link PermanentIoFailure.Kind} it cancels that task's stage, so that neither Spark's task or stage retries nor the
 * trainer's attempts repeat it, and {@link #rethrowIfSeen} turns the job's failure into one {@link PermanentIoFailure} that
 * says what happened, where. (A retry that Spark launched before the cancel arrives is killed by it.)
 *
 * <p>It watches the jobs of the thread that started it, not every job of the driver: those with that thread's job
 * group and at least its job tags, as the thread had them at the start (the continual-learning job tags each start of
 * a run; a sweep gives each run a job group). So, when runs share a driver, one run's full disk neither cancels nor
 * explains another run's failure.
 */
public final class PermanentFailureWatch extends SparkListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PermanentFailureWatch.class);

    /** The first permanent failure seen: its kind and the failed task's own message. */
    public record Seen(PermanentIoFailure.Kind kind, String message, int stage, String executor) {}

    // SparkContext's local properties for a job's group and tags (SPARK_JOB_GROUP_ID, SPARK_JOB_TAGS)
    private static final String GROUP = "spark.jobGroup.id";
    private static final String TAGS = "spark.job.tags";

    private final SparkContext sc;
    private final String group;     // the starting thread's job group (null: none)
    private final Set<String> tags; // the starting thread's job tags
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet(); // the stages of the jobs watched
    private final AtomicReference<Seen> seen = new AtomicReference<>();

    private PermanentFailureWatch(SparkContext sc) {
        this.sc = sc;
        this.group = sc.getLocalProperty(GROUP);
        this.tags = tags(sc.getLocalProperty(TAGS));
    }

    private static Set<String> tags(String joined) {
        return joined == null || joined.isEmpty() ? Set.of() : Arrays.stream(joined.split(",")).collect(Collectors.toSet());
    }

    /** Starts watching the tasks of {@code sc}; close to stop. */
    public static PermanentFailureWatch start(SparkContext sc) {
        PermanentFailureWatch watch = new PermanentFailureWatch(sc);
        sc.addSparkListener(watch);
        return watch;
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) { // delivered before any of the job's task ends
        Properties p = start.properties();
        if (Objects.equals(p == null ? null : p.getProperty(GROUP), group) && tags(p == null ? null : p.getProperty(TAGS)).containsAll(tags)) {
            JavaConverters.seqAsJavaList(start.stageIds()).forEach(id -> stages.add((Integer) id));
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!stages.contains(end.stageId()) || !(end.reason() instanceof ExceptionFailure failure)) {
            return;
        }
        String text = failure.className() + ": " + failure.description() + "\n" + failure.fullStackTrace();
        PermanentIoFailure.Kind.in(text).ifPresent(kind -> {
            Seen first = new Seen(kind, failure.className() + ": " + failure.description(), end.stageId(), end.taskInfo().executorId());
            if (seen.compareAndSet(null, first)) {
                LOG.error("stage {}: a task on executor {} failed with '{}' ({}); cancelling the stage: a retry would fail the same way",
                        end.stageId(), first.executor(), kind.name().toLowerCase(java.util.Locale.ROOT), first.message());
                sc.cancelStage(end.stageId(), "a permanent I/O failure: " + first.message());
            }
        });
    }

    /** The first permanent failure seen, or null. */
    public Seen seen() {
        return seen.get();
    }

    /**
     * Throws, for a failed job, one {@link PermanentIoFailure} saying {@code doing} (what the job was writing, with the
     * path) when one was seen; returns otherwise, for the caller to rethrow {@code failure} as it is.
     */
    public void rethrowIfSeen(Exception failure, String doing) {
        Seen s = seen.get();
        if (s != null) {
            throw new PermanentIoFailure(s.kind(), doing + " (stage " + s.stage() + ", executor " + s.executor() + ": " + s.message() + ")",
                    failure);
        }
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
