package dev.dacspark.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The demo's base CLIP that ships with the project ({@code conf/demo-base.conf}, made by {@code dac pretrain}):
 * classpath resources {@code demo/base-clip.safetensors} and {@code demo/tokenizer.json}, as files. Inside a jar
 * they are copied once into a temporary directory, removed when the JVM exits.
 */
public final class DemoBaseModel {
    private DemoBaseModel() {}

    public static final String CHECKPOINT = "demo/base-clip.safetensors";
    public static final String TOKENIZER = "demo/tokenizer.json";

    private static Path extracted;

    /** The checkpoint as a file. */
    public static Path checkpoint() {
        return file(CHECKPOINT);
    }

    /** Its word-level tokenizer.json as a file. */
    public static Path tokenizer() {
        return file(TOKENIZER);
    }

    private static synchronized Path file(String resource) {
        URL url = DemoBaseModel.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("resource " + resource + " is not on the classpath (run dac pretrain --config conf/demo-base.conf)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            if (extracted == null) {
                extracted = Files.createTempDirectory("dac-demo-base-");
                extracted.toFile().deleteOnExit();
            }
            Path out = extracted.resolve(resource.substring(resource.lastIndexOf('/') + 1));
            if (!Files.exists(out)) {
                try (InputStream in = url.openStream()) {
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                out.toFile().deleteOnExit();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource + ": " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }
}
