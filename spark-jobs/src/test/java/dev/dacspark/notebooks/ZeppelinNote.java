package dev.dacspark.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Zeppelin note file ({@code .zpln}, the JSON of Zeppelin 0.10 and 0.11) as the tests need it: each paragraph's
 * interpreter, code and the result columns its saved charts use.
 */
record ZeppelinNote(Path file, String name, List<ZeppelinNote.Paragraph> paragraphs) {

    /** A column that a paragraph's chart settings name, at its index in the result. */
    record ChartColumn(String name, int index) {}

    /**
     * @param interpreter the paragraph's interpreter without the {@code %} ({@code spark}, {@code spark.sql})
     * @param code        its text after the interpreter
     */
    record Paragraph(String id, String title, String interpreter, String code, List<ChartColumn> chartColumns) {}

    /** The notes in {@code dir}, by file name. */
    static List<ZeppelinNote> all(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".zpln")).sorted().map(ZeppelinNote::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ZeppelinNote read(Path file) {
        JsonNode note;
        try {
            note = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not JSON: " + e.getMessage(), e);
        }
        for (String key : List.of("name", "id", "paragraphs", "config", "noteForms", "noteParams")) {
            if (!note.has(key)) {
                throw new IllegalArgumentException(file + ": no '" + key + "' (a Zeppelin 0.10+ note has it)");
            }
        }
        List<Paragraph> paragraphs = new ArrayList<>();
        for (JsonNode p : note.get("paragraphs")) {
            String id = p.path("id").asText();
            String text = p.path("text").asText().stripLeading();
            if (id.isEmpty() || !text.startsWith("%")) {
                throw new IllegalArgumentException(file + ": paragraph '" + id + "' needs an id and a text starting with its interpreter (%spark, %spark.sql)");
            }
            int end = 0;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
                end++;
            }
            List<ChartColumn> columns = new ArrayList<>();
            p.path("config").path("results").forEach(result -> {
                JsonNode graph = result.path("graph");
                for (String role : List.of("keys", "groups", "values")) {
                    graph.path(role).forEach(c -> columns.add(new ChartColumn(c.path("name").asText(), c.path("index").asInt())));
                }
            });
            paragraphs.add(new Paragraph(id, p.path("title").asText(id), text.substring(1, end), text.substring(end).strip(), columns));
        }
        return new ZeppelinNote(file, note.get("name").asText(), paragraphs);
    }
}
