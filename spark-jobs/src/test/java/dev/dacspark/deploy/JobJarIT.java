package dev.dacspark.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shaded job jar that the package phase builds: `mvn verify` runs this test after packaging (maven-
 * failsafe, in the integration-test phase; -DskipJobJar skips both).
 */
class JobJarIT {

    static Path jobJar() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> jars = files.filter(f -> f.getFileName().toString().matches("dac-spark-jobs-.*-job\\.jar")).toList();
            assertEquals(1, jars.size(), "one job jar in target/, built by the package phase: " + jars);
            return jars.get(0);
        }
    }

    @Test
    void holdsTheJobAndItsLibrariesButNotTheClustersOrLibtorch() throws IOException {
        try (JarFile jar = new JarFile(jobJar().toFile())) {
            Set<String> names = jar.stream().map(ZipEntry::getName).collect(Collectors.toSet());
            assertEquals(JobArguments.MAIN_CLASS, jar.getManifest().getMainAttributes().getValue("Main-Class"));
            for (String kept : List.of("dev/dacspark/spark/cli/DacSparkCli.class", "dev/dacspark/clip/ClipModel.class",
                    "ai/djl/pytorch/engine/PtEngineProvider.class", "ai/djl/huggingface/tokenizers/HuggingFaceTokenizer.class",
                    "picocli/CommandLine.class", "com/twelvemonkeys/imageio/plugins/jpeg/JPEGImageReader.class",
                    "jnilib/linux-x86_64/cpu/libdjl_torch.so", "jnilib/linux-x86_64/cu128/libdjl_torch.so",
                    "dev/dacspark/shaded/com/typesafe/config/ConfigFactory.class",
                    "dev/dacspark/shaded/org/apache/commons/lang3/StringUtils.class",
                    "dev/dacspark/shaded/org/apache/commons/compress/archivers/tar/TarArchiveInputStream.class")) {
                assertTrue(names.contains(kept), kept);
            }
            for (String prefix : List.of("org/apache/spark/", "scala/", "org/apache/hadoop/fs/FileSystem", "com/fasterxml/jackson/core/",
                    "org/slf4j/", "org/apache/commons/lang3/", "org/apache/commons/compress/", "com/typesafe/config/", "pytorch/",
                    "native/lib/libtorch")) {
                assertTrue(names.stream().noneMatch(n -> n.startsWith(prefix)), "no " + prefix + " in the job jar");
            }
            assertTrue(names.stream().noneMatch(n -> n.matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)")), "no signature files");
            boolean s3a = names.contains("org/apache/hadoop/fs/s3a/S3AFileSystem.class");
            assertEquals(jar.getManifest().getMainAttributes().getValue("Dac-Hadoop-Aws").equals("compile"), s3a,
                    "hadoop-aws inside exactly when built with -Pwith-hadoop-aws");

            Set<String> engines = Set.of(text(jar, "META-INF/services/ai.djl.engine.EngineProvider").split("\\s+"));
            assertTrue(engines.contains("ai.djl.pytorch.engine.PtEngineProvider"), "the merged service file keeps PyTorch: " + engines);
            assertTrue(text(jar, "META-INF/services/javax.imageio.spi.ImageReaderSpi").contains("com.twelvemonkeys.imageio.plugins.jpeg"));
            String reference = text(jar, "reference.conf");
            assertTrue(reference.contains("dac.prep {"), "the jobs' defaults");
            assertTrue(reference.contains("method {"), "the model's defaults");
        }
    }

    private static String text(JarFile jar, String name) throws IOException {
        ZipEntry e = jar.getEntry(name);
        assertNotNull(e, name);
        try (var in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
