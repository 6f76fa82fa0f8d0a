package dev.dacspark.train;

import dev.dacspark.lora.DacConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {

    @Test
    void defaultsAreThePapersSettings(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("run.conf"), "dac { tasks = [ { name = a, root = data/a, templates = [\"a {}.\"], lr = 1e-3 } ] }");
        RunConfig c = RunConfig.load(f);
        assertEquals(DacConfig.defaults(), c.method());
        assertEquals(500, c.train().iterations());
        assertEquals(32, c.train().batchSize());
        assertEquals(2e-3, c.train().lr());
        assertEquals(5, c.train().shots());
        assertEquals(42, c.seed());
        assertEquals(List.of(RunConfig.Method.DAC), c.methods());
        assertEquals(dir.resolve("data/a"), c.tasks().get(0).root(), "relative to the config file");
        assertEquals(1e-3, c.tasks().get(0).lr());
        assertNull(c.checkpoint());
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
        assertTrue(e.getMessage().contains("method.conf: 1") && e.getMessage().contains("unknown method 'lwf'"), e.getMessage());

        Path routing = Files.writeString(dir.resolve("routing.conf"), "dac.method.routing = sparse\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(routing));
        assertTrue(e.getMessage().contains("routing.conf: 1") && e.getMessage().contains("routing: unknown value 'sparse'"), e.getMessage());

        Path task = Files.writeString(dir.resolve("task.conf"), "dac.tasks = [ { name = a, root = x, templates = [\"{}\"], shots = 3 } ]\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(task));
        assertTrue(e.getMessage().contains("task.conf: 1") && e.getMessage().contains("unknown task key 'shots'"), e.getMessage());

        Path rank = Files.writeString(dir.resolve("rank.conf"), "dac.method { rank = 4, route-top-k = 8 }\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(rank));
        assertTrue(e.getMessage().contains("route-top-k must be in [1, rank=4]"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> RunConfig.load(dir.resolve("absent.conf")));
        assertTrue(e.getMessage().contains("absent.conf does not exist"), e.getMessage());
    }
}
