package dev.dacspark.notebooks;

import java.util.Map;

/**
 * The one part of Zeppelin's ZeppelinContext ({@code z}) that the notes use: note-level text boxes,
 * {@code z.noteTextbox(name, default)}, answered with the values a test gives (else the default).
 */
public final class NoteForms {
    private final Map<String, String> values;

    public NoteForms(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public Object noteTextbox(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }
}
