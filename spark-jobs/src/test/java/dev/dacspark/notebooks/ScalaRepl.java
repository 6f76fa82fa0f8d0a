package dev.dacspark.notebooks;

import scala.Console$;
import scala.collection.immutable.List$;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The Scala 2.12 interpreter ({@code IMain}, on which Zeppelin's Spark interpreter builds), class-based like
 * spark-shell and Zeppelin, on this JVM's classpath, writing its classes to a folder that Spark serves to executors
 * ({@code spark.repl.class.outputDir}).
 */
final class ScalaRepl implements AutoCloseable {
    /** What one paragraph did: whether it compiled and ran, and what it printed (interpreter messages included). */
    record Result(boolean success, String output) {}

    private final StringWriter messages = new StringWriter();
    private final IMain imain;

    ScalaRepl(Path classesDir) {
        Settings settings = new Settings();
        settings.processArgumentString("-usejavacp -Yrepl-class-based -Yrepl-outdir " + classesDir);
        imain = new IMain(settings, new PrintWriter(messages, true));
        imain.initializeSynchronous();
    }

    /** Binds {@code value} as {@code name} of type {@code type} in the interpreter. */
    void bind(String name, String type, Object value) {
        Results.Result r = imain.bind(name, type, value, List$.MODULE$.empty());
        if (r != Results.Success$.MODULE$) {
            throw new IllegalStateException("cannot bind " + name + ": " + take());
        }
    }

    /** Compiles and runs {@code code} as one paragraph. */
    Result run(String code) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Results.Result r;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            r = Console$.MODULE$.withOut(out, () -> imain.interpret(code));
        }
        return new Result(r == Results.Success$.MODULE$, printed.toString(StandardCharsets.UTF_8) + take());
    }

    private String take() {
        String s = messages.toString();
        messages.getBuffer().setLength(0);
        return s;
    }

    @Override
    public void close() {
        imain.close();
    }
}
