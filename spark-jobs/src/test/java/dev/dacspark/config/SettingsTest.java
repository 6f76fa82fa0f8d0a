package dev.dacspark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import dev.dacspark.spark.cli.DemoConfig;
import dev.dacspark.spark.continual.JobConfig;
import dev.dacspark.spark.data.PrepConfig;
import dev.dacspark.spark.sweep.SweepConfig;
import dev.dacspark.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config layer over both modules' reference.conf: every default read by a typed section, errors with file, line and key. */
class SettingsTest {
    static final Path REPO = Path.of(System.getProperty("repo.dir", ".."));

    /** A config every command accepts: the shipped demo and pretraining configs plus what they leave unset. */
    private static Config everyCommand() {
        return ConfigFactory.parseString("""
                dac {
                  model { checkpoint = "clip.safetensors", tokenizer = "tokenizer.json" }
                  job { run-id = every, data = "prepared" }
                  prep { output = "shards", tasks = [ { name = a, source { type = image-folder, root = a }, templates = ["{}"] } ] }
                  sweep.id = every
                }
                """).withFallback(ConfigFactory.parseFile(REPO.resolve("conf/demo.conf").toFile()))
                .withFallback(ConfigFactory.parseFile(REPO.resolve("conf/demo-base.conf").toFile()));
    }

    @Test
    void everyKeyOfReferenceConfIsReadByATypedSection() {
        Settings settings = Settings.of(everyCommand(), REPO.resolve("conf"));
        JobConfig.read(settings); // and RunConfig
        PrepConfig.read(settings);
        PretrainConfig.read(settings);
        DemoConfig.read(settings);
        SweepConfig.read(settings);
        Set<String> leaves = leaves("dac", ConfigFactory.defaultReference().getObject("dac"));
        assertTrue(leaves.containsAll(Set.of("dac.train.lr", "dac.job.task-lr", "dac.prep.tasks", "dac.pretrain.model",
                "dac.demo.random-model.embed_dim", "dac.job.s3.endpoint", "dac.job.lease-ttl", "dac.job.lease-renew")),
                "both modules' reference.conf: " + leaves);
        Set<String> unread = new TreeSet<>(leaves);
        unread.removeAll(settings.keysRead());
        assertEquals(Set.of(), unread, "reference.conf keys that no typed config reads");
    }

    /** Full keys of every leaf: values other than objects, and empty objects (maps the user fills, such as task-lr). */
    private static Set<String> leaves(String path, ConfigObject o) {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
            String key = path + "." + ConfigUtil.joinPath(e.getKey());
            if (e.getValue() instanceof ConfigObject child && !child.isEmpty()) {
                out.addAll(leaves(key, child));
            } else {
                out.add(key);
            }
        }
        return out;
    }

    @Test
    void theDemoRefusesUnknownKeysWithFileAndLine(@TempDir Path dir) throws Exception {
        assertDemoRefused(dir, "dac.demo {\n  seed = 3\n  image-sise = 16\n}\n", "demo.conf: 3: unknown key 'dac.demo.image-sise'");
        assertDemoRefused(dir, "dac.demo.random-model {\n  mlp_ratio = 4 }\n", "demo.conf: 2: unknown key 'dac.demo.random-model.mlp_ratio'");
        assertDemoRefused(dir, "dac.demo.tasks = [\n  { name = a, category = digit, style = clean, train-per-class = 2, test-per-class = 2,\n"
                + "    shots = 4 } ]\n", "demo.conf: 3: dac.demo.tasks[0].shots: unknown task key 'shots'; a task has [category, name,");
        assertDemoRefused(dir, "dac.demo.tasks = [\n  { name = a, category = digit, style = clean, train-per-class = 0, test-per-class = 2 } ]\n",
                "demo.conf: 2: dac.demo.tasks[0].train-per-class must be positive, got 0");
        assertDemoRefused(dir, "dac.demo.base-model = pretrained\n", "demo.conf: 1: dac.demo.base-model: unknown value 'pretrained'; expected one of [shipped, random]");
    }

    private static void assertDemoRefused(Path dir, String conf, String expected) throws Exception {
        Path f = Files.writeString(dir.resolve("demo.conf"), conf);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DemoConfig.read(Settings.load(f, "demo config")));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void rangeErrorsNameTheKey(@TempDir Path dir) throws Exception {
        String task = "tasks = [ { name = a, source { type = image-folder, root = a }, templates = [\"{}\"]";
        assertRefused(dir, "dac.prep { output = x, resolution = 224,\n  train-short-side = 200, " + task + " } ] }\n",
                PrepConfig::read, "range.conf: 2: dac.prep.train-short-side must be >= dac.prep.resolution = 224, got 200");
        assertRefused(dir, "dac.prep { output = x, resolution = 0, " + task + " } ] }\n", PrepConfig::read,
                "range.conf: 1: dac.prep.resolution must be positive, got 0");
        assertRefused(dir, "dac.prep { output = x, max-bad-fraction = 2, " + task + " } ] }\n", PrepConfig::read,
                "range.conf: 1: dac.prep.max-bad-fraction must be in [0, 1], got 2.0");
        assertRefused(dir, "dac.prep { output = x,\n " + task + ", shots = -1 } ] }\n", PrepConfig::read,
                "range.conf: 2: dac.prep.tasks[0].shots must be >= 0, got -1");
        String job = "dac { model { checkpoint = c, tokenizer = t }, job { run-id = r, data = d } }\n";
        assertRefused(dir, job + "dac.job.workers = 0\n", JobConfig::read, "range.conf: 2: dac.job.workers must be positive, got 0");
        assertRefused(dir, job + "dac.job.ring-timeout = 10ms\n", JobConfig::read, "range.conf: 2: dac.job.ring-timeout must be between 1 s and 24 days");
        assertRefused(dir, job + "dac.job.run-id = \"a/b\"\n", JobConfig::read, "range.conf: 2: dac.job.run-id must be letters, digits");
        // learning rates: negative and zero ones trained "to completion" with collapsed accuracy and exit code 0
        assertRefused(dir, job + "dac.train.lr = -1e-3\n", JobConfig::read, "range.conf: 2: dac.train.lr must be > 0, got -0.001");
        assertRefused(dir, job + "dac.train.lr = 0\n", JobConfig::read, "range.conf: 2: dac.train.lr must be > 0, got 0.0");
        assertRefused(dir, job + "dac.job.task-lr { s1 = -5 }\n", JobConfig::read, "range.conf: 2: dac.job.task-lr.s1 must be > 0");
        assertRefused(dir, job + "dac.train { lr = 1e-3, lr-min = 1e-2 }\n", JobConfig::read, "dac.train.lr-min must be");
        assertRefused(dir, job + "dac.eval.settings = [mtil, mtil]\n", JobConfig::read,
                "range.conf: 2: dac.eval.settings must be non-empty, each setting once, got [MTIL, MTIL]");
        assertRefused(dir, job + "dac.eval.settings = [x-tail, mtl]\n", JobConfig::read, "range.conf: 2: dac.eval.settings");
        assertRefused(dir, job + "dac.eval.x-tail.templates = [\"a photo\"]\n", JobConfig::read,
                "range.conf: 2: dac.eval.x-tail.templates must be templates with '{}' for the class name");
        assertRefused(dir, job + "dac.job.lease-ttl = 0s\n", JobConfig::read, "range.conf: 2: dac.job.lease-ttl must be > 0, got PT0S");
        assertRefused(dir, job + "dac.job {\n  lease-ttl = 1m\n  lease-renew = 1m\n}\n", JobConfig::read,
                "range.conf: 4: dac.job.lease-renew must be in (0, lease-ttl = PT1M), got PT1M");
        String pretrain = Files.readString(REPO.resolve("conf/demo-base.conf"));
        assertRefused(dir, pretrain + "\ndac.pretrain.train { steps = 10, warmup-steps = 10 }\n", PretrainConfig::read,
                "range.conf: " + (pretrain.lines().count() + 2) + ": dac.pretrain.train.warmup-steps must be in [0, steps = 10), got 10");
    }

    private static void assertRefused(Path dir, String conf, Function<Settings, ?> reader, String expected) throws Exception {
        Path f = Files.writeString(dir.resolve("range.conf"), conf);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.apply(Settings.load(f, "config")));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
