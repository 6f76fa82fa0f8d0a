package dev.dacspark.spark.sweep;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sweep's expansion into named runs, and the sweep configs refused before any run, naming the key. */
class SweepConfigTest {
    static final Path BASE = Path.of("/sweeps");

    static SweepConfig sweep(String sweep) {
        return SweepConfig.from(ConfigFactory.parseString("""
                dac {
                  model { checkpoint = "clip.safetensors", tokenizer = "tokenizer.json" }
                  output = "runs"
                  job { run-id = ignored, data = "data" }
                  sweep { id = grid, %s }
                }
                """.formatted(sweep)), BASE);
    }

    @Test
    void axesExpandIntoTheirProductNamedByTheirValuesInKeyOrder() {
        SweepConfig s = sweep("""
                axes { "dac.seed" = [1, 2], "dac.methods" = [[dac], [zero-shot, seq-lora]],
                       "dac.job.data" { I = "data/order-I", II = "data/order-II" } }""");
        assertEquals(List.of("data-I_methods-dac_seed-1", "data-I_methods-dac_seed-2", "data-I_methods-zero-shot.seq-lora_seed-1",
                "data-I_methods-zero-shot.seq-lora_seed-2", "data-II_methods-dac_seed-1", "data-II_methods-dac_seed-2",
                "data-II_methods-zero-shot.seq-lora_seed-1", "data-II_methods-zero-shot.seq-lora_seed-2"),
                s.runs().stream().map(SweepConfig.Run::id).toList());
        SweepConfig.Run r = s.runs().get(7);
        assertEquals(Map.of("dac.methods", "zero-shot.seq-lora", "dac.job.data", "II", "dac.seed", "2"), r.axes());
        assertEquals(2, r.job().run().seed());
        assertEquals("file:///sweeps/data/order-II", r.job().data());
        assertEquals("file:///sweeps/runs/grid/data-II_methods-zero-shot.seq-lora_seed-2", r.job().runDir());
        assertEquals("data-II_methods-zero-shot.seq-lora_seed-2", r.job().runId());
        assertEquals("file:///sweeps/runs/grid", s.dir());
        assertEquals(List.of("dac.job.data"), s.groupAxes(), "seeds are replicates and methods have tables of their own");
    }

    @Test
    void aRunWhoseValueIsInvalidCarriesItsErrorAndTheOthersTheirConfig() {
        SweepConfig s = sweep("axes { \"dac.train.lr\" = [1e-3, -1] }");
        assertNull(s.runs().get(0).error());
        assertNull(s.runs().get(1).job());
        assertTrue(s.runs().get(1).error().contains("dac.train.lr must be > 0, got -1"), s.runs().get(1).error());
    }

    @Test
    void badSweepsAreRefusedNamingTheKey() {
        assertRefused("axes { \"dac.trian.lr\" = [1e-3] }", "unknown key 'dac.trian.lr'");
        assertRefused("axes { \"dac.seed\" = [] }", "\"dac.seed\": the axis is empty");
        assertRefused("axes { \"dac.seed\" = 3 }", "\"dac.seed\": an axis is a list of values or an object of label = value");
        assertRefused("axes { dac.seed = [1, 2] }", "\"dac\": an axis is a dac.* run setting");
        assertRefused("axes { \"dac.output\" = [a, b] }", "\"dac.output\": an axis is a dac.* run setting other than");
        assertRefused("axes { \"dac.job.data\" = [\"a/b\", \"a-b\"] }", "would both be named 'data-a-b'");
        assertRefused("axes { \"dac.seed\" { \"one/1\" = 1 } }", "label 'one/1' must be letters");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SweepConfig.from(ConfigFactory.parseString(
                "dac.job.data = d, dac.sweep.axes { \"dac.seed\" = [1] }"), BASE));
        assertTrue(e.getMessage().contains("dac.sweep.id is not set"), e.getMessage());
    }

    private static void assertRefused(String axes, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sweep(axes));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("dac.sweep.axes"), e.getMessage());
    }
}
