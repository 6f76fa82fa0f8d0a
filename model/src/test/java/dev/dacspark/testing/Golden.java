package dev.dacspark.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dacspark.checkpoint.TensorArrays;
import dev.dacspark.checkpoint.SafeTensors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The golden set under test: directory from system property {@code golden.dir} (default
 * ../shared/golden) and config name from {@code golden.config} (default A). Nothing about a
 * particular golden set is assumed beyond the file layout of ../shared/golden/README.md.
 */
public final class Golden {
    private Golden() {}

    public static Path dir() {
        Path d = Path.of(System.getProperty("golden.dir", "../shared/golden"));
        assertTrue(Files.isDirectory(d), "golden directory " + d.toAbsolutePath() + " is missing (set -Dgolden.dir)");
        return d;
    }

    public static String config() {
        return System.getProperty("golden.config", "A");
    }

    public static Path file(String kind) {
        Path f = dir().resolve("clip-" + config() + "." + kind + ".safetensors");
        if (kind.startsWith("dac")) {
            f = dir().resolve("dac-" + config() + ".io.safetensors");
        }
        assertTrue(Files.exists(f), "golden file " + f + " is missing");
        return f;
    }

    public static Path configJson() {
        return dir().resolve("config-" + config() + ".json");
    }

    public static Path shared() {
        return Path.of(System.getProperty("shared.dir", "../shared"));
    }

    public static NDArray array(Map<String, SafeTensors.Tensor> tensors, String name, NDManager manager) {
        SafeTensors.Tensor t = tensors.get(name);
        if (t == null) {
            fail("golden tensor '" + name + "' is missing");
        }
        return TensorArrays.toNDArray(t, manager);
    }

    /** Asserts |actual - expected| <= atol + rtol * |expected| elementwise, reporting the worst entry. */
    public static void assertClose(NDArray expected, NDArray actual, double atol, double rtol, String what) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(e[i] - a[i]) - (atol + rtol * Math.abs(e[i]));
            if (Double.isNaN(a[i]) || excess > worst) {
                worst = Double.isNaN(a[i]) ? Double.POSITIVE_INFINITY : excess;
                at = i;
            }
        }
        if (at >= 0) {
            fail(String.format("%s: entry %d is %.8g, expected %.8g (atol %.1e, rtol %.1e)", what, at, a[at], e[at], atol, rtol));
        }
    }
}
