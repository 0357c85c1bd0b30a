package dev.stanch.detection;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One JSON object of an event, with the typed lookups the format readers need. A value of the wrong
 * type is a {@link RejectedEvent} naming the field; an absent key and a JSON {@code null} are the
 * same thing (detectors write {@code null} for what they could not resolve).
 *
 * @param path where this object sits in the event, for reasons ({@code ""} at the top)
 * @param values the object's entries, as plain JSON values
 */
record JsonObject(String path, Map<String, Object> values) {

    static JsonObject root(Map<String, Object> values) {
        return new JsonObject("", values);
    }

    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    @Nullable
    Object get(String key) {
        return values.get(key);
    }

    boolean has(String key) {
        return values.get(key) != null;
    }

    /** The string at {@code key}, or null when absent. */
    @Nullable
    String string(String key) {
        Object value = values.get(key);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new RejectedEvent(pathOf(key) + ": expected a string, got " + Text.quote(value));
    }

    /** The string at {@code key} with surrounding blanks removed, or null when absent or blank. */
    @Nullable
    String text(String key) {
        String value = string(key);
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** The object at {@code key}, or null when absent. */
    @Nullable
    JsonObject object(String key) {
        Object value = values.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked") // plain JSON objects always have string keys
            Map<String, Object> entries = (Map<String, Object>) map;
            return new JsonObject(pathOf(key), entries);
        }
        throw new RejectedEvent(pathOf(key) + ": expected an object, got " + Text.quote(value));
    }

    /** The array at {@code key}, or an empty list when absent. */
    List<?> list(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> list) {
            return list;
        }
        throw new RejectedEvent(pathOf(key) + ": expected an array, got " + Text.quote(value));
    }

    /**
     * The key present in this object that equals {@code key} ignoring case, preferring the exact
     * spelling; null when there is none. Go's encoding/json matches names this way, so Falco's
     * ecosystem accepts {@code "Rule"} for {@code "rule"} — and so do we.
     */
    @Nullable
    String keyIgnoringCase(String key) {
        if (values.containsKey(key)) {
            return key;
        }
        for (String candidate : values.keySet()) {
            if (candidate.equalsIgnoreCase(key)) {
                return candidate;
            }
        }
        return null;
    }
}
