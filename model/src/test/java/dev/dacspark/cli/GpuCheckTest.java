package dev.dacspark.cli;

import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench gpu} in miniature on the CPU: the golden CLIP's size, batch 2, one timed step; every row of its table. */
class GpuCheckTest {
    @TempDir
    Path dir;

    @Test
    void theCheckRunsOnTheCpuInMiniatureAndItsParityPasses() throws Exception {
        Path table = dir.resolve("out/gpu-check.md");
        DacCliTest.Run r = DacCliTest.run("bench", "gpu", "--device", "cpu", "--model", Golden.file("openai").toString(), "--batch", "2",
                "--iters", "1", "--precision", "fp32", "--golden", Golden.dir().toString(), "--out", table.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String written = Files.readString(table);
        assertTrue(r.out().endsWith(written), "the table printed is the table written:\n" + r.out());
        List<String> rows = written.lines().skip(2).toList();
        List<String> checks = List.of("engine", "golden CLIP forward, openai naming", "golden CLIP forward, hf naming",
                "golden DAC step", "frozen forward+backward, ", "DAC step (LoRA dropout 0.2), ", "merged model (plain CLIP), image encoder, ",
                "peak GPU memory", "peak RSS", "time");
        assertEquals(checks.size(), rows.size(), written);
        for (int i = 0; i < checks.size(); i++) {
            assertTrue(rows.get(i).startsWith("| " + checks.get(i)) && rows.get(i).endsWith("| yes |"), rows.get(i));
        }
        assertTrue(rows.get(1).contains("| pass: 3 comparisons") && rows.get(3).contains("| pass: "), written);
        assertTrue(rows.get(4).contains("batch 2, fp32 | ") && rows.get(4).matches(".* \\d+ transfers/step .*"), rows.get(4));
        assertTrue(rows.get(6).matches(".*\\| \\d+\\.\\d images/s \\|.*"), rows.get(6));
        assertTrue(rows.get(7).contains("n/a (device cpu())"), rows.get(7));
    }

    @Test
    void anUnknownPrecisionOrDeviceIsAClearError() {
        String golden = Golden.dir().toString();
        DacCliTest.Run precision = DacCliTest.run("bench", "gpu", "--device", "cpu", "--precision", "bf16", "--golden", golden);
        assertEquals(1, precision.code());
        assertTrue(precision.err().contains("--precision 'bf16': bf16 is not available: DJL 0.36.0's PyTorch engine has no bfloat16"), precision.err());
        DacCliTest.Run device = DacCliTest.run("bench", "gpu", "--device", "tpu:0", "--golden", golden);
        assertTrue(device.err().contains("--device 'tpu:0': expected cpu or cuda:N"), device.err());
        DacCliTest.Run noGpu = DacCliTest.run("bench", "gpu", "--device", "cuda:99", "--golden", golden); // past any machine's GPUs
        assertTrue(noGpu.err().contains("--device cuda:99: libtorch (") && noGpu.err().contains(" GPU(s); give a CUDA libtorch"), noGpu.err());
    }
}
