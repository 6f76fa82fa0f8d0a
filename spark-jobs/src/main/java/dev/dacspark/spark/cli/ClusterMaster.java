package dev.dacspark.spark.cli;

import picocli.CommandLine.Option;

/** The {@code --master} option of the commands that train on a cluster ({@code train}, {@code sweep}). */
public final class ClusterMaster {
    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]; "
            + "local-cluster[N,1,MB] starts N executor JVMs here, one per training rank).")
    String master;
}
