package dev.dacspark.spark.continual;

import dev.dacspark.spark.cli.LocalSpark;
import dev.dacspark.spark.train.DistributedTrainer;

import java.nio.file.Path;

/**
 * The train job's driver that ends its JVM (exit 3) right after committing a given task: the first
 * start of the killed-driver test. Arguments: config file, master, task (1-based).
 */
public final class HaltingDriver {
    private HaltingDriver() {}

    public static void main(String[] args) {
        JobConfig job = JobConfig.load(Path.of(args[0]));
        int haltAfter = Integer.parseInt(args[2]);
        try (LocalSpark.Session session = LocalSpark.session("halting driver", args[1])) {
            new ContinualJob(session.spark(), job, new DistributedTrainer(session.spark(), job.attempts()), new JobEvents() {
                @Override
                public void afterCommit(String method, int task) {
                    if (task == haltAfter) {
                        Runtime.getRuntime().halt(3);
                    }
                }
            }).run();
        }
    }
}
