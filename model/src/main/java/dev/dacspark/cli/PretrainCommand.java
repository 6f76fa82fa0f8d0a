package dev.dacspark.cli;

import ai.djl.ndarray.NDManager;
import dev.dacspark.train.PretrainConfig;
import dev.dacspark.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code dac pretrain --config FILE}: contrastive pretraining of a small CLIP on generated glyphs. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a small CLIP contrastively on generated glyph images and captions (dac.pretrain); "
                + "writes its tokenizer.json and a safetensors checkpoint with its provenance.")
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Pretraining config (HOCON), e.g. conf/demo-base.conf.")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PretrainConfig pretrain = PretrainConfig.load(config);
        Pretrainer.Result result;
        try (NDManager manager = NDManager.newBaseManager()) {
            result = new Pretrainer(pretrain, manager).run();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("zero-shot top-1 (%), held-out images:");
        out.printf(Locale.ROOT, "  %-12s %8s %8s %8s%n", "style", "digit", "letter", "shape");
        result.zeroShot().forEach((style, row) -> {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-12s", style.id()));
            row.values().forEach(acc -> line.append(String.format(Locale.ROOT, " %8.2f", acc)));
            out.println(line);
        });
        out.printf(Locale.ROOT, "final loss: %.4f; time: %.0f s%n", result.finalLoss(), result.seconds());
        out.println("checkpoint: " + pretrain.checkpoint().toAbsolutePath());
        out.println("tokenizer: " + pretrain.tokenizer().toAbsolutePath());
        out.flush();
        return 0;
    }
}
