package dev.dacspark.spark.cli;

import org.apache.spark.sql.SparkSession;

/** The Spark session of a CLI command: an embedded master, quiet logs, no UI unless asked for. */
final class LocalSpark {
    private LocalSpark() {}

    static SparkSession session(String app, String master) {
        return SparkSession.builder().appName(app).master(master)
                .config("spark.ui.enabled", System.getProperty("dac.spark.ui", "false"))
                .config("spark.driver.host", System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1"))
                .getOrCreate();
    }
}
