package dev.dacspark.spark.cli;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/**
 * The {@code dac} command line as a Databricks JAR task ({@code spark_jar_task.main_class_name}), or for any host
 * that calls {@code main} inside its own long-lived driver JVM with its SparkSession already running. Unlike
 * {@link DacSparkCli#main}, made for spark-submit, this never exits the JVM: it takes the host's session
 * ({@code SparkSession.builder().getOrCreate()}), which the commands then use and leave running (see
 * {@link LocalSpark#session}); it returns when the command succeeded and throws when it failed, so the host
 * reports the run as it ended.
 */
public final class DacSparkJarTask {
    private DacSparkJarTask() {}

    /**
     * Runs the command of {@code args} on the host's session. Throws picocli's ParameterException for arguments the
     * command line does not accept, the command's own exception when it fails, and IllegalStateException when it
     * ends with a non-zero code.
     */
    public static void main(String[] args) {
        SparkSession.builder().getOrCreate();
        int code;
        try {
            code = new CommandLine.RunLast().execute(DacSparkCli.commandLine().parseArgs(args));
        } catch (CommandLine.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        if (code != 0) {
            throw new IllegalStateException("dac " + String.join(" ", args) + " ended with exit code " + code);
        }
    }
}
