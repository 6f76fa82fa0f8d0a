package dev.dacspark.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.golden.GoldenParity;
import dev.dacspark.golden.GoldenSet;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The golden set under test: directory from system property {@code golden.dir} (default
 * ../shared/golden) and config name from {@code golden.config} (default A). Nothing about a
 * particular golden set is assumed beyond the file layout of ../shared/golden/README.md ({@link GoldenSet}).
 */
public final class Golden {
    private Golden() {}

    public static GoldenSet set() {
        return new GoldenSet(Path.of(System.getProperty("golden.dir", "../shared/golden")), config());
    }

    public static Path dir() {
        return set().dir();
    }

    public static String config() {
        return System.getProperty("golden.config", "A");
    }

    public static Path file(String kind) {
        return set().file(kind);
    }

    public static Path configJson() {
        return set().configJson();
    }

    public static Path shared() {
        return Path.of(System.getProperty("shared.dir", "../shared"));
    }

    public static NDArray array(Map<String, SafeTensors.Tensor> tensors, String name, NDManager manager) {
        return GoldenSet.array(tensors, name, manager);
    }

    /** Asserts |actual - expected| <= atol + rtol * |expected| elementwise, reporting the worst entry. */
    public static void assertClose(NDArray expected, NDArray actual, double atol, double rtol, String what) {
        assertPassed(GoldenParity.compare(what, expected, actual, atol, rtol));
    }

    /** Asserts that every check passed, listing those that did not. */
    public static void assertPassed(GoldenParity.Check... checks) {
        String failed = GoldenParity.failures(java.util.List.of(checks));
        assertTrue(failed.isEmpty(), failed);
    }
}
