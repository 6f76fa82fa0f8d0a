package dev.dacspark.cli;

import dev.dacspark.testing.Golden;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DacCliTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = DacCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void infoCountsViTB16AsZsclPlusLogitScale() {
        Run r = run("info", "--model", "ViT-B/16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nparameters: 149620737\n"), r.out());
    }

    @Test
    void infoReadsACheckpointsConfigAndCountsItsTensors() {
        Run r = run("info", "--model", Golden.file("hf").toString());
        assertEquals(0, r.code(), r.err());
        long tensors = dev.dacspark.checkpoint.SafeTensors.readAll(Golden.file("openai")).values().stream()
                .mapToLong(dev.dacspark.checkpoint.SafeTensors.Tensor::numel).sum();
        assertTrue(r.out().contains("\nparameters: " + tensors + "\n"), r.out());
    }

    @Test
    void unknownModelIsAClearError() {
        Run r = run("info", "--model", "ViT-Q/99");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("'ViT-Q/99' is neither a known name (ViT-B/16, ViT-B/32, ViT-L/14"), r.err());
    }

    @Test
    void paramsCountsThePapersTrainableParameters() {
        Run r = run("params", "--model", "ViT-B/16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nlora A and B: 3317760\n"), r.out());
        assertTrue(r.out().contains("\nrouters: 1660608\n"), r.out());
        assertTrue(r.out().contains("\ntrainable: 4978368 "), r.out());
        assertTrue(r.out().contains("modules: 144 "), r.out());
    }
}
