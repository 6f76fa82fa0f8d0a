package dev.dacspark.spark.train;

import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.ClipModel;
import dev.dacspark.spark.storage.Storage;
import dev.dacspark.train.Collective;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * A task trained in this JVM as the one rank of the run (W = 1, {@link Collective#SINGLE}): the same
 * {@link RankTraining} a barrier task runs, with the same step checkpoints, so a run of the job gives
 * the same results on either backend. A failure is not retried here; starting the run again resumes
 * from the last step checkpoint.
 */
public final class InProcessTrainer implements TaskBackend {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessTrainer.class);

    private final Configuration hadoop;

    public InProcessTrainer(Configuration hadoop) {
        this.hadoop = hadoop;
    }

    @Override
    public void check(int world) {
        if (world != 1) {
            throw new IllegalArgumentException("dac.job.workers = " + world + ": training in one process is one rank; set "
                    + "dac.job.workers = 1, or run `train` on a cluster (or --master local-cluster[" + world + ",1,MB]) for " + world + " ranks");
        }
    }

    @Override
    public RankTask.Report train(TrainTaskSpec spec, Runnable guard) {
        check(spec.worldSize());
        guard.run();
        try (NDManager manager = NDManager.newBaseManager()) {
            ClipModel model = ClipCheckpoint.load(Storage.localCopy(spec.start().baseCheckpoint(), hadoop), manager,
                    spec.start().precision());
            RankTask.Report report = RankTraining.run(spec, Collective.SINGLE, 0, model, manager, hadoop, guard);
            LOG.info(String.format(Locale.ROOT, "task '%s': trained steps %d..%d in this process in %.1f s (%.1f device-host "
                    + "transfers per step), last loss %.4f", spec.task().name(), report.startStep(), spec.iterations(), report.seconds(),
                    report.timings().transfersPerStep(), report.losses().loss()));
            return report;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("task '" + spec.task().name() + "': " + e.getMessage(), e);
        }
    }
}
