package dev.stanch.netpol;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Typed access to the maps and lists of a generic resource (the policy.networking.k8s.io kinds,
 * which fabric8 has no model classes for). Every accessor names the field path in its error.
 */
final class Generic {

    private Generic() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(@Nullable Object value, String path) {
        if (value instanceof Map<?, ?> map) {
            for (Object key : map.keySet()) {
                if (!(key instanceof String)) {
                    throw new InvalidResourceException(path + ": keys must be strings");
                }
            }
            return (Map<String, Object>) map;
        }
        throw new InvalidResourceException(path + ": expected an object, found " + describe(value));
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(@Nullable Object value, String path) {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new InvalidResourceException(path + ": expected a list, found " + describe(value));
    }

    static String string(@Nullable Object value, String path) {
        if (value instanceof String text) {
            return text;
        }
        // YAML turns unquoted numbers and booleans into non-strings; labels are strings in the API.
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        throw new InvalidResourceException(path + ": expected a string, found " + describe(value));
    }

    static @Nullable String optionalString(@Nullable Object value, String path) {
        return value == null ? null : string(value, path);
    }

    static int integer(@Nullable Object value, String path) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long number = ((Number) value).longValue();
            if (number >= Integer.MIN_VALUE && number <= Integer.MAX_VALUE) {
                return (int) number;
            }
        }
        throw new InvalidResourceException(path + ": expected an integer, found " + describe(value));
    }

    private static String describe(@Nullable Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "a list";
        }
        return "'" + value + "'";
    }
}
