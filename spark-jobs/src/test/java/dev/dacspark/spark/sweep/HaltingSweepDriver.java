package dev.dacspark.spark.sweep;

import dev.dacspark.spark.cli.LocalSpark;
import dev.dacspark.spark.continual.JobEvents;

import java.nio.file.Path;

/**
 * The sweep's driver that ends its JVM (exit 3) right after one run committed a given task, the other runs where
 * they are: the first start of the killed-sweep test. Arguments: sweep config file, master, run id, task (1-based).
 */
public final class HaltingSweepDriver {
    private HaltingSweepDriver() {}

    public static void main(String[] args) {
        SweepConfig sweep = SweepConfig.load(Path.of(args[0]));
        String haltRun = args[2];
        int haltAfter = Integer.parseInt(args[3]);
        JobEvents halt = new JobEvents() {
            @Override
            public void afterCommit(String method, int task) {
                if (task == haltAfter) {
                    Runtime.getRuntime().halt(3);
                }
            }
        };
        try (LocalSpark.Session session = LocalSpark.session("halting sweep driver", args[1])) {
            new SweepJob(session.spark(), sweep, id -> id.equals(haltRun) ? halt : JobEvents.NONE).run();
        }
    }
}
