package dev.dacspark.spark.continual;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The identities a run checks on resume (its settings' fingerprint, each prepared task's data identity):
 * SHA-256 of a value's JSON with the keys of every object sorted, so neither the order a map was
 * built in nor the order of a file's fields changes them.
 */
final class CanonicalJson {
    private static final ObjectMapper SORTED = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private CanonicalJson() {}

    /** Hex SHA-256 of {@code value} (maps, lists, scalars, Jackson trees) as sorted JSON. */
    static String sha256(Object value) {
        try {
            byte[] json = SORTED.writeValueAsBytes(SORTED.convertValue(value, Object.class)); // as plain maps: every level's keys sorted
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
