package dev.dacspark.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dacspark.checkpoint.SafeTensors;
import dev.dacspark.cli.DacCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code dac pretrain} on conf/demo-base.conf at a budget of seconds (a CLIP of two 64-wide layers per tower, digits
 * and shapes only, 120 steps, a small evaluation): the same config gives the same bytes twice, and the model it
 * makes is above chance.
 */
class PretrainerTest {
    private static final Path DEMO_BASE = Path.of(System.getProperty("repo.dir", "..")).resolve("conf/demo-base.conf");
    private static final int STEPS = 120;

    @Test
    void aReducedBudgetGivesTheSameBytesTwiceAndBeatsChance(@TempDir Path dir) throws Exception {
        Path first = reduced(dir.resolve("first"));
        Path second = reduced(dir.resolve("second"));
        String out = run("pretrain", "--config", first.toString());
        assertTrue(out.contains("zero-shot top-1"), out);
        run("pretrain", "--config", second.toString());

        Path checkpoint = dir.resolve("first/base.safetensors");
        assertArrayEquals(Files.readAllBytes(checkpoint), Files.readAllBytes(dir.resolve("second/base.safetensors")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("first/tokenizer.json")), Files.readAllBytes(dir.resolve("second/tokenizer.json")));

        Map<String, String> metadata = SafeTensors.readMetadata(checkpoint);
        PretrainConfig config = PretrainConfig.load(first);
        assertEquals(config.toJson(), metadata.get("pretrain"));
        assertEquals(config.sha256(), metadata.get("pretrain_sha256"));
        assertEquals("1", metadata.get("generator_seed"));
        assertEquals(Integer.toString(STEPS), metadata.get("steps"));
        assertEquals(PretrainConfig.sha256(Files.readAllBytes(dir.resolve("first/tokenizer.json"))), metadata.get("tokenizer_sha256"));
        JsonNode clean = new ObjectMapper().readTree(metadata.get("zero_shot")).get("clean");
        assertTrue(clean.get("digit").asDouble() > 100.0 / 10, "digits: " + clean);
        assertTrue(clean.get("shape").asDouble() > 100.0 / 6, "shapes: " + clean);
    }

    @Test
    void aVocabularySizeThatDoesNotFitTheCaptionsIsAClearError(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "include file(\"" + DEMO_BASE.toAbsolutePath() + "\")\ndac.pretrain.model.vocab_size = 60\n"
                + "dac.pretrain.checkpoint = \"out/base.safetensors\"\ndac.pretrain.tokenizer = \"out/tokenizer.json\"\n");
        CommandLine cl = DacCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(1, cl.execute("pretrain", "--config", conf.toString()));
        assertTrue(err.toString().contains("dac.pretrain.model.vocab_size = 60, but the captions' word-level vocabulary has 70 tokens"),
                err.toString());
    }

    /** conf/demo-base.conf with a budget of seconds and its outputs in {@code out}. */
    private static Path reduced(Path out) throws Exception {
        Files.createDirectories(out);
        Path conf = out.resolve("pretrain.conf");
        Files.writeString(conf, "include file(\"" + DEMO_BASE.toAbsolutePath() + "\")\n"
                + "dac.pretrain {\n"
                + "  model { embed_dim = 64, vision_width = 64, vision_layers = 2, transformer_width = 64, transformer_layers = 2 }\n"
                + "  data { digits = 0.6, letters = 0, shapes = 0.4 }\n"
                + "  train { steps = " + STEPS + ", lr = 2e-3, warmup-steps = 10, log-every = 30 }\n"
                + "  eval { styles = [clean], images-per-class = 20 }\n"
                + "  checkpoint = \"base.safetensors\"\n"
                + "  tokenizer = \"tokenizer.json\"\n"
                + "}\n");
        return conf;
    }

    private static String run(String... args) {
        CommandLine cl = DacCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
        return out.toString();
    }
}
