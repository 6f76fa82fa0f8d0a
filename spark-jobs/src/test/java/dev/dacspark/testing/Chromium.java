package dev.dacspark.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian's {@code chromium}, which .ci/run installs) opening a page, for tests of what a browser
 * makes of the HTML we write.
 */
public final class Chromium {
    private Chromium() {}

    /** The DOM of the loaded page at {@code html}, as Chromium serialises it. */
    public static String dumpDom(Path html, Path workDir) throws IOException, InterruptedException {
        Path out = workDir.resolve("dom.html");
        Path err = workDir.resolve("chromium.log");
        Process p = new ProcessBuilder(List.of(executable(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + workDir.resolve("profile"), "--dump-dom", html.toUri().toString()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish within 120 s; its log: " + Files.readString(err));
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("chromium exited with " + p.exitValue() + "; its log: " + Files.readString(err));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path exe = Path.of(dir, name);
                if (Files.isExecutable(exe)) {
                    return exe.toString();
                }
            }
        }
        throw new IllegalStateException("no chromium on PATH: install Debian's chromium (apt-get install chromium; .ci/run does)");
    }
}
