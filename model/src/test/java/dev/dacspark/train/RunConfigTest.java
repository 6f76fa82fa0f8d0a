package dev.dacspark.train;

import dev.dacspark.checkpoint.ClipCheckpoint;
import dev.dacspark.clip.Precision;
import dev.dacspark.lora.DacConfig;
import dev.dacspark.lora.VoteScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {

    @Test
    void defaultsAreThePapersSettings(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("run.conf"),
                "dac { job.task-lr { a = 1e-3 } }");
        RunConfig c = RunConfig.load(f);
        assertEquals(new DacConfig(12, 8, 4, 1.0, 0.2, Set.of(DacConfig.Target.values()), Set.of(DacConfig.Encoder.values()), List.of(),
                DacConfig.Routing.ROUTED, 0.1, DacConfig.AgoMemory.ALL, VoteScope.GLOBAL), c.method());
        assertEquals(DacConfig.defaults(), c.method());
        assertEquals(new AdamW.Settings(0.9, 0.999, 1e-8, 0.01), c.train().adamw());
        assertEquals(AdamW.Settings.defaults(), c.train().adamw());
        assertEquals(500, c.train().iterations());
        assertEquals(32, c.train().batchSize());
        assertEquals(2e-3, c.train().lr());
        assertEquals(42, c.seed());
        assertEquals(List.of(RunConfig.Method.DAC), c.methods());
        assertEquals(1e-3, c.lr("a"), "dac.job.task-lr");
        assertEquals(2e-3, c.lr("b"), "dac.train.lr for other tasks");
        assertNull(c.checkpoint());
        assertEquals(Precision.FP32, c.precision());
        assertEquals(ClipCheckpoint.SaveDtype.FP32, c.saveDtype());
    }

    @Test
    void errorsNameTheKeyAndTheFile(@TempDir Path dir) throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.conf"), "dac {\n  train {\n    iteratons = 5\n  }\n}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(typo));
        assertTrue(e.getMessage().contains("typo.conf: 3") && e.getMessage().contains("dac.train.iteratons"), e.getMessage());

        Path type = Files.writeString(dir.resolve("type.conf"), "dac.train.batch-size = lots\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(type));
        assertTrue(e.getMessage().contains("type.conf: 1") && e.getMessage().contains("batch-size"), e.getMessage());

        Path method = Files.writeString(dir.resolve("method.conf"), "dac.methods = [dac, lwf]\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(method));
        assertTrue(e.getMessage().contains("method.conf: 1") && e.getMessage().contains("dac.methods: unknown value 'lwf'"), e.getMessage());

        Path routing = Files.writeString(dir.resolve("routing.conf"), "dac.method.routing = sparse\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(routing));
        assertTrue(e.getMessage().contains("routing.conf: 1") && e.getMessage().contains("routing: unknown value 'sparse'"), e.getMessage());

        // the tasks come from the prepared stream (dac.job.data): a task list of the old image-folder loop is refused
        Path tasks = Files.writeString(dir.resolve("tasks.conf"), "dac.tasks = [ { name = a, root = x, templates = [\"{}\"] } ]\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(tasks));
        assertTrue(e.getMessage().contains("tasks.conf: 1") && e.getMessage().contains("dac.tasks"), e.getMessage());

        Path precision = Files.writeString(dir.resolve("precision.conf"), "dac.model.precision = fp8\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(precision));
        assertTrue(e.getMessage().contains("precision.conf: 1") && e.getMessage().contains("dac.model.precision: unknown value 'fp8'"),
                e.getMessage());
        Path bf16 = Files.writeString(dir.resolve("bf16.conf"), "dac.model.precision = bf16\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(bf16));
        assertTrue(e.getMessage().contains("bf16.conf: 1") && e.getMessage().contains("dac.model.precision: bf16 is not available"),
                e.getMessage());
        RunConfig half = RunConfig.from(com.typesafe.config.ConfigFactory.parseString(
                "dac.model { precision = fp16, save-dtype = checkpoint }"), dir);
        assertEquals(Precision.FP16, half.precision());
        assertEquals(ClipCheckpoint.SaveDtype.CHECKPOINT, half.saveDtype());

        Path rank = Files.writeString(dir.resolve("rank.conf"), "dac.method { rank = 4, route-top-k = 8 }\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(rank));
        assertTrue(e.getMessage().contains("route-top-k must be in [1, rank=4]"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(dir.resolve("absent.conf")));
        assertTrue(e.getMessage().contains("absent.conf does not exist"), e.getMessage());
    }

    @Test
    void rangeErrorsNameTheFileLineAndFullKey(@TempDir Path dir) throws Exception {
        assertRefused(dir, "dac.train {\n  lr = 0\n}\n", "range.conf: 2: dac.train.lr must be > 0, got 0.0");
        assertRefused(dir, "dac.train { lr = 1e-3\n  lr-min = 1e-2 }\n", "range.conf: 2: dac.train.lr-min must be in [0.0, lr = 0.001]");
        assertRefused(dir, "dac.train.beta2 = 1\n", "range.conf: 1: dac.train.beta2 must be in [0, 1), got 1.0");
        assertRefused(dir, "dac.method.dropout = 1.5\n", "range.conf: 1: dac.method.dropout must be in [0, 1), got 1.5");
        assertRefused(dir, "dac.eval.batch-size = 0\n", "range.conf: 1: dac.eval.batch-size must be positive, got 0");
        assertRefused(dir, "dac.job.task-lr {\n  a = -1 }\n", "range.conf: 2: dac.job.task-lr.a must be > 0 and >= dac.train.lr-min");
    }

    private static void assertRefused(Path dir, String conf, String expected) throws Exception {
        Path f = Files.writeString(dir.resolve("range.conf"), conf);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(f));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
