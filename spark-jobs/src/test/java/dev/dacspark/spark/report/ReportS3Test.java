package dev.dacspark.spark.report;

import dev.dacspark.spark.cli.DacSparkCli;
import dev.dacspark.testing.Reruns;
import dev.dacspark.testing.S3ProxyServer;
import dev.dacspark.testing.SparkSessions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run on s3a:// (S3Proxy on 127.0.0.1) reads as the same run on file://, and {@code dac report} takes it. */
class ReportS3Test {

    @Test
    void aRunOnS3aReadsAsOnLocalFiles(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path run;
        SparkSession spark = SparkSessions.local(Map.of());
        try {
            run = Reruns.get(spark).runs().get(0);
        } finally {
            spark.stop();
        }
        try (S3ProxyServer s3 = S3ProxyServer.launch()) {
            String bucket = "report-" + Long.toHexString(System.nanoTime());
            s3.createBucket(bucket);
            Configuration hadoop = new Configuration();
            s3.s3aSettings().forEach(hadoop::set);
            String remoteRun = "s3a://" + bucket + "/output/" + run.getFileName();
            FileSystem.get(URI.create("s3a://" + bucket + "/"), hadoop).copyFromLocalFile(false, true, new Path(run.toUri()), new Path(remoteRun));

            RunResults local = RunResults.read(run.toUri().toString(), new Configuration());
            RunResults remote = RunResults.read(remoteRun, hadoop);
            assertEquals(local.runId(), remote.runId());
            assertEquals(local.datasets(), remote.datasets());
            assertEquals(remoteRun + "/" + local.manifest().results, remote.resultsDir());
            assertEquals(local.accuracy(), remote.accuracy());
            assertEquals(local.metrics(), remote.metrics());
            assertEquals(local.experts(), remote.experts());
            assertEquals(local.costs(), remote.costs());

            // the command, with the S3A settings as spark-submit --conf passes them: spark.hadoop.* system properties
            Map<String, String> settings = s3.sparkSettings();
            settings.forEach(System::setProperty);
            try {
                CommandLine cl = DacSparkCli.commandLine();
                StringWriter err = new StringWriter();
                cl.setErr(new PrintWriter(err));
                cl.setOut(new PrintWriter(new StringWriter()));
                java.nio.file.Path html = dir.resolve("s3.html");
                assertEquals(0, cl.execute("report", "--run", remoteRun, "--out", html.toString()), err.toString());
                assertTrue(Files.readString(html).contains("<h2>Run " + remote.runId() + "</h2>"));
            } finally {
                settings.keySet().forEach(System::clearProperty);
            }
        }
    }
}
