package dev.dacspark.clip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a model wants its pixels, beyond the resolution: part of the model's config ({@link ClipConfig}), stored in
 * its checkpoint, and applied by {@link ClipImageProcessor} to the resized and cropped image, before
 * normalisation.
 *
 * <ul>
 *   <li>{@code greyscale}: R, G and B are replaced by the luma of PIL's {@code convert("L")}, {@code (299 R + 587 G
 *       + 114 B) / 1000} in its fixed-point form {@code (19595 R + 38470 G + 7471 B + 32768) >> 16}.</li>
 *   <li>{@code ink_polarity}: {@code keep}, or one convention that every image is brought to:
 *       {@code light-on-dark} (MNIST's) or {@code dark-on-light}. The background is read from the one-pixel border
 *       of the crop: an image whose border luma averages above 127.5 has a light background, and every value
 *       {@code v} of an image of the other convention becomes {@code 255 - v}.</li>
 *   <li>{@code mean}, {@code std}: per-channel (R, G, B) normalisation after scaling to [0, 1].</li>
 * </ul>
 *
 * OpenAI's CLIP uses {@link #CLIP}: colour, polarity kept, CLIP's mean and std.
 */
public record ImagePreprocessing(boolean greyscale, InkPolarity inkPolarity, List<Double> mean, List<Double> std) {

    /** Which way an image's ink and background are brought. */
    public enum InkPolarity {
        KEEP, LIGHT_ON_DARK, DARK_ON_LIGHT;

        /** The config spelling: keep, light-on-dark, dark-on-light. */
        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static InkPolarity parse(String s, String where) {
            for (InkPolarity p : values()) {
                if (p.id().equals(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException(where + ": ink_polarity '" + s + "' is not one of keep, light-on-dark, dark-on-light");
        }
    }

    /** CLIP's normalisation mean (R, G, B). */
    public static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    /** CLIP's normalisation standard deviation (R, G, B). */
    public static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);
    /** OpenAI CLIP's preprocessing: colour, polarity kept, CLIP mean and std. */
    public static final ImagePreprocessing CLIP = new ImagePreprocessing(false, InkPolarity.KEEP, CLIP_MEAN, CLIP_STD);

    /** Keys of a {@code preprocessing} block, in HOCON and in the checkpoint's config JSON. */
    static final Set<String> KEYS = Set.of("greyscale", "ink_polarity", "mean", "std");

    public ImagePreprocessing {
        Objects.requireNonNull(inkPolarity, "inkPolarity");
        mean = List.copyOf(Objects.requireNonNull(mean, "mean"));
        std = List.copyOf(Objects.requireNonNull(std, "std"));
        if (mean.size() != 3 || std.size() != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B), got " + mean + ", " + std);
        }
        for (double s : std) {
            if (!(s > 0 && Double.isFinite(s))) {
                throw new IllegalArgumentException("std values must be positive, got " + std);
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("mean values must be finite, got " + mean);
            }
        }
    }

    /**
     * Reads a {@code preprocessing} block over {@link #CLIP}: every key is optional; an unknown key or a bad value
     * fails naming the key and where it was set.
     */
    public static ImagePreprocessing fromHocon(Config c) {
        for (String key : c.root().keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(c.getValue(key).origin().description() + ": unknown preprocessing key '"
                        + key + "'; known: " + new TreeSet<>(KEYS));
            }
        }
        try {
            return new ImagePreprocessing(
                    c.hasPath("greyscale") ? c.getBoolean("greyscale") : CLIP.greyscale,
                    c.hasPath("ink_polarity") ? InkPolarity.parse(c.getString("ink_polarity"), c.getValue("ink_polarity").origin().description())
                            : CLIP.inkPolarity,
                    c.hasPath("mean") ? c.getDoubleList("mean") : CLIP.mean,
                    c.hasPath("std") ? c.getDoubleList("std") : CLIP.std);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("preprocessing: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.origin().description() + ": preprocessing: " + e.getMessage(), e);
        }
    }

    /** Reads the JSON form ({@link #toJson}); absent keys take {@link #CLIP}'s values. */
    public static ImagePreprocessing fromJson(JsonNode n, String source) {
        if (!n.isObject()) {
            throw new IllegalArgumentException(source + ": preprocessing must be an object, got " + n);
        }
        n.fieldNames().forEachRemaining(key -> {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(source + ": unknown preprocessing key '" + key + "'; known: " + new TreeSet<>(KEYS));
            }
        });
        return new ImagePreprocessing(
                n.has("greyscale") ? n.get("greyscale").asBoolean() : CLIP.greyscale,
                n.has("ink_polarity") ? InkPolarity.parse(n.get("ink_polarity").asText(), source) : CLIP.inkPolarity,
                n.has("mean") ? doubles(n.get("mean"), source, "mean") : CLIP.mean,
                n.has("std") ? doubles(n.get("std"), source, "std") : CLIP.std);
    }

    private static List<Double> doubles(JsonNode a, String source, String key) {
        if (!a.isArray()) {
            throw new IllegalArgumentException(source + ": preprocessing " + key + " must be an array of 3 numbers, got " + a);
        }
        List<Double> out = new ArrayList<>();
        a.forEach(v -> out.add(v.asDouble()));
        return out;
    }

    /** {@code {"greyscale":..,"ink_polarity":"..","mean":[..],"std":[..]}}. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("greyscale", greyscale);
        n.put("ink_polarity", inkPolarity.id());
        ArrayNode m = n.putArray("mean");
        mean.forEach(m::add);
        ArrayNode s = n.putArray("std");
        std.forEach(s::add);
        return n;
    }

    @Override
    public String toString() {
        return (greyscale ? "greyscale" : "colour") + ", ink " + inkPolarity.id() + ", mean " + mean + ", std " + std;
    }
}
