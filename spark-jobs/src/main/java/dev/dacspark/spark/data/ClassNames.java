package dev.dacspark.spark.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A class-name file: one name per line, by label; blank lines and lines starting with '#' are skipped. */
final class ClassNames {
    private ClassNames() {}

    static List<String> read(String uri, Configuration hadoop) {
        Path path = new Path(URI.create(uri));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(path.getFileSystem(hadoop).open(path), StandardCharsets.UTF_8))) {
            List<String> names = new ArrayList<>();
            String line;
            while ((line = r.readLine()) != null) {
                String n = line.strip();
                if (!n.isEmpty() && !n.startsWith("#")) {
                    names.add(n);
                }
            }
            if (names.isEmpty()) {
                throw new IllegalArgumentException("class-name file " + uri + " holds no names");
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class-name file " + uri + ": " + e.getMessage(), e);
        }
    }
}
