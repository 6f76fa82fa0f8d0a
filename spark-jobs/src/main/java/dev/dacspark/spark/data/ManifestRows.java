package dev.dacspark.spark.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.univocity.parsers.common.TextParsingException;
import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The rows of a manifest (CSV with a header, JSON Lines, or Parquet) of {@code path, label[, split]}, read on the
 * driver (which holds the listing anyway), each with where it was written ({@code file:line}, or {@code file: row N}
 * for Parquet) and its file: relative paths resolved against the manifest's folder, every path qualified and
 * normalised. A malformed line fails naming the file and the line; a manifest that names one file more than once
 * (twice in a split, in train and test, under two labels, by a relative and an absolute path) fails listing every
 * occurrence.
 */
final class ManifestRows {
    /** Files named more than once that an error lists, and occurrences of each. */
    static final int LISTED = 10;

    /** One row: its values (null when absent), where it was written, its file's URI and what makes it unreadable (or null). */
    record Entry(String path, String label, String split, String where, String uri, String problem) {}

    private record Values(String path, String label, String split, String where) {}

    private ManifestRows() {}

    static List<Entry> read(SparkSession spark, String task, PrepConfig.Manifest m) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String prefix = "task '" + task + "': manifest ";
        Path file = new Path(URI.create(m.path()));
        Path folder;
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            if (!fs.exists(file)) {
                throw new IllegalArgumentException(prefix + m.path() + " does not exist");
            }
            folder = fs.makeQualified(file).getParent();
        } catch (IOException e) {
            throw new UncheckedIOException("task '" + task + "': cannot reach manifest " + m.path() + ": " + e.getMessage(), e);
        }
        List<Values> values = switch (m.format()) {
            case "csv" -> csv(m.path(), file, hadoop, prefix);
            case "jsonl" -> jsonl(m.path(), file, hadoop, prefix);
            default -> parquet(spark, m.path(), prefix);
        };
        Resolver resolver = new Resolver(folder, hadoop);
        List<Entry> entries = new ArrayList<>(values.size());
        for (Values v : values) {
            entries.add(resolver.entry(v));
        }
        refuseRepeatedFiles(entries, prefix + m.path());
        return entries;
    }

    private static void requireColumns(Collection<String> columns, String what) {
        if (!columns.contains("path") || !columns.contains("label")) {
            throw new IllegalArgumentException(what + " needs columns 'path' and 'label' (and optionally 'split'); it has " + columns);
        }
    }

    /**
     * CSV with a header line (RFC 4180 quoting, by univocity, the parser under Spark's CSV reader; empty fields are null,
     * blank lines skipped); every row as wide as the header.
     */
    private static List<Values> csv(String uri, Path file, Configuration hadoop, String prefix) {
        CsvParserSettings settings = new CsvParserSettings();
        settings.setLineSeparatorDetectionEnabled(true);
        settings.setMaxCharsPerColumn(-1);
        settings.setIgnoreLeadingWhitespaces(false);
        settings.setIgnoreTrailingWhitespaces(false);
        CsvParser parser = new CsvParser(settings);
        try (Reader reader = open(file, hadoop)) {
            parser.beginParsing(reader);
            String[] header = parser.parseNext();
            List<String> columns = header == null ? List.of() : Arrays.asList(header);
            requireColumns(columns, prefix + uri);
            int path = columns.indexOf("path");
            int label = columns.indexOf("label");
            int split = columns.indexOf("split");
            List<Values> rows = new ArrayList<>();
            for (String[] r = parser.parseNext(); r != null; r = parser.parseNext()) {
                String where = uri + ":" + parser.getContext().currentLine();
                if (r.length != header.length) {
                    throw new IllegalArgumentException(prefix + where + ": " + r.length + " field(s) " + Arrays.toString(r)
                            + ", the header has " + header.length + " " + columns);
                }
                rows.add(new Values(r[path], r[label], split < 0 ? null : r[split], where));
            }
            return rows;
        } catch (TextParsingException e) {
            throw new IllegalArgumentException(prefix + uri + ":" + (e.getLineIndex() + 1) + ": not valid CSV: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(prefix + uri + ": cannot read: " + e.getMessage(), e);
        } finally {
            parser.stopParsing();
        }
    }

    /** JSON Lines: one object a line (blank lines skipped), values strings or numbers. */
    private static List<Values> jsonl(String uri, Path file, Configuration hadoop, String prefix) {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        Set<String> columns = new TreeSet<>();
        List<Values> rows = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(open(file, hadoop))) {
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String where = uri + ":" + ++number;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row = object(json, line, prefix + where);
                row.fieldNames().forEachRemaining(columns::add);
                rows.add(new Values(text(row, "path", prefix + where), text(row, "label", prefix + where), text(row, "split", prefix + where),
                        where));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(prefix + uri + ": cannot read: " + e.getMessage(), e);
        }
        requireColumns(columns, prefix + uri);
        return rows;
    }

    private static JsonNode object(ObjectMapper json, String line, String where) {
        try {
            JsonNode row = json.readTree(line);
            if (!row.isObject()) {
                throw new IllegalArgumentException(where + ": a line must be a JSON object, got: " + abbreviate(line));
            }
            return row;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + "): " + abbreviate(line), e);
        }
    }

    private static String text(JsonNode row, String column, String where) {
        JsonNode v = row.get(column);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(where + ": '" + column + "' must be a string or a number, got " + abbreviate(v.toString()));
        }
        return v.asText();
    }

    private static List<Values> parquet(SparkSession spark, String uri, String prefix) {
        Dataset<Row> df = spark.read().parquet(uri);
        List<String> columns = Arrays.asList(df.columns());
        requireColumns(columns, prefix + uri);
        List<Row> collected = df.select(col("path").cast("string"), col("label").cast("string"),
                columns.contains("split") ? col("split").cast("string") : lit(null).cast("string")).collectAsList();
        List<Values> rows = new ArrayList<>(collected.size());
        for (int i = 0; i < collected.size(); i++) {
            Row r = collected.get(i);
            rows.add(new Values(r.getString(0), r.getString(1), r.getString(2), uri + ": row " + (i + 1)));
        }
        return rows;
    }

    /** A text file of any Hadoop file system, decompressed by its extension (.gz, .bz2, ...), as UTF-8. */
    private static Reader open(Path file, Configuration hadoop) throws IOException {
        InputStream in = file.getFileSystem(hadoop).open(file);
        CompressionCodec codec = new CompressionCodecFactory(hadoop).getCodec(file);
        return new InputStreamReader(codec == null ? in : codec.createInputStream(in), StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** Refuses a manifest naming one file more than once, listing each such file with every row that names it. */
    private static void refuseRepeatedFiles(List<Entry> entries, String what) {
        Map<String, List<Entry>> byFile = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.uri() != null) {
                byFile.computeIfAbsent(e.uri(), k -> new ArrayList<>()).add(e);
            }
        }
        List<Map.Entry<String, List<Entry>>> repeated = byFile.entrySet().stream().filter(e -> e.getValue().size() > 1).toList();
        if (repeated.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(what + " names " + repeated.size() + " file(s) more than once (paths resolved against its "
                + "folder and normalised): one image twice in a split, in train and test, or under two labels; list each file once:");
        for (Map.Entry<String, List<Entry>> e : repeated.subList(0, Math.min(LISTED, repeated.size()))) {
            List<Entry> rows = e.getValue();
            sb.append("\n  ").append(e.getKey()).append(":");
            for (Entry r : rows.subList(0, Math.min(LISTED, rows.size()))) {
                sb.append(' ').append(r.where()).append(" (").append(r.path()).append(", label ").append(r.label()).append(", split ")
                        .append(r.split()).append(')');
            }
            sb.append(rows.size() > LISTED ? " and " + (rows.size() - LISTED) + " more" : "");
        }
        sb.append(repeated.size() > LISTED ? "\n  and " + (repeated.size() - LISTED) + " more file(s)" : "");
        throw new IllegalArgumentException(sb.toString());
    }

    /** Resolves a row's path: relative to the manifest's folder, qualified by its file system, normalised. */
    private static final class Resolver {
        private final Path base;
        private final Configuration hadoop;
        private final Map<String, FileSystem> systems = new HashMap<>();

        Resolver(Path base, Configuration hadoop) {
            this.base = base;
            this.hadoop = hadoop;
        }

        Entry entry(Values v) {
            if (v.path() == null || v.path().isBlank()) {
                return new Entry(v.path(), v.label(), v.split(), v.where(), null, "no path in this row (" + v.where() + ")");
            }
            boolean absolute = v.path().startsWith("/") || v.path().matches("[a-zA-Z][a-zA-Z0-9+.-]*:/.*");
            Path p = absolute ? new Path(v.path()) : new Path(base, new Path(null, null, v.path()));
            try {
                URI q = fileSystem(p).makeQualified(p).toUri();
                return new Entry(v.path(), v.label(), v.split(), v.where(), new URI(q.getScheme(), q.getAuthority(), q.getPath(), null, null).toString(),
                        null);
            } catch (IOException | URISyntaxException e) {
                return new Entry(v.path(), v.label(), v.split(), v.where(), p.toUri().toString(), "cannot reach " + p + ": " + e.getMessage());
            }
        }

        private FileSystem fileSystem(Path p) throws IOException {
            URI u = p.toUri();
            String key = u.getScheme() + "://" + u.getAuthority();
            FileSystem fs = systems.get(key);
            if (fs == null) {
                fs = p.getFileSystem(hadoop);
                systems.put(key, fs);
            }
            return fs;
        }
    }
}
