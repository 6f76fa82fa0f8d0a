package dev.dacspark.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The repository's deploy files, and running its scripts as a user would (bash, a given environment). */
final class Scripts {
    private Scripts() {}

    /** The repository root (surefire's {@code repo.dir}, else the parent of the module directory). */
    static Path repo() {
        String dir = System.getProperty("repo.dir");
        return (dir != null ? Path.of(dir) : Path.of("..")).toAbsolutePath().normalize();
    }

    static Path deploy(String relative) {
        Path p = repo().resolve("deploy").resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing");
        }
        return p;
    }

    /** What a finished script printed. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /**
     * Runs {@code command} in {@code dir} with this process's environment plus {@code env} (a null value
     * removes the variable), and waits at most {@code timeoutSeconds}.
     */
    static Result run(List<String> command, Path dir, Map<String, String> env, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("script", ".out");
            Path err = Files.createTempFile("script", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + timeoutSeconds + " s; stdout:\n"
                        + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Writes an executable script. */
    static Path executable(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
