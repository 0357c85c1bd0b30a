package dev.stanch.detection;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Plain JSON values — {@code Map<String, Object>} (insertion-ordered), {@code List<Object>}, {@code
 * String}, {@code Long} or {@code BigInteger} for integers, {@code Double} for other numbers,
 * {@code Boolean} and {@code null} — and the one JSON mapper of the detection package.
 *
 * <p>Why plain values rather than Jackson trees: a detection's {@code fields} are handed to
 * playbooks (CEL) and the ledger, which should not see Jackson types; and one representation keeps
 * the normalizers, {@link DetectionJson} and equality of detections simple. Integers are always
 * {@code Long} (CEL's {@code int} is 64-bit), so a value compares equal after a JSON round trip.
 */
final class JsonValues {

    /**
     * Strict on purpose: a duplicated key could smuggle a second namespace or address past whoever
     * read the first one, and trailing garbage means the producer wrote something we did not read.
     */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonValues() {}

    /** Parses one JSON document into plain values; unreadable input is a {@link RejectedEvent}. */
    static @Nullable Object parse(String json) {
        if (json.isBlank()) {
            throw new RejectedEvent("empty input");
        }
        try {
            return fromNode(MAPPER.readTree(json));
        } catch (JacksonException e) {
            throw new RejectedEvent("not JSON: " + describe(e));
        }
    }

    /** As {@link #parse(String)}; the encoding (UTF-8, UTF-16 …) is detected from the bytes. */
    static @Nullable Object parse(byte[] json) {
        if (isBlank(json)) {
            throw new RejectedEvent("empty input");
        }
        try {
            return fromNode(MAPPER.readTree(json));
        } catch (JacksonException e) {
            throw new RejectedEvent("not JSON: " + describe(e));
        }
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static String describe(JacksonException e) {
        String message = e.getOriginalMessage();
        if (message == null) {
            message = e.getClass().getSimpleName();
        }
        // Jackson's messages can run over several lines and quote long stretches of input.
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        message = Text.abbreviate(message, 200);
        TokenStreamLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            message += " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
        }
        return message;
    }

    static @Nullable Object fromNode(@Nullable JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.forEachEntry((key, value) -> map.put(key, fromNode(value)));
            return Collections.unmodifiableMap(map);
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(element -> list.add(fromNode(element)));
            return Collections.unmodifiableList(list);
        }
        if (node.isString()) {
            return node.stringValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        throw new RejectedEvent("unsupported JSON value: " + node.getNodeType());
    }

    /**
     * A deep, unmodifiable copy of {@code value} in the plain form above: other integral types become
     * {@code Long}, floats {@code Double}. Anything that is not a JSON value is refused, so a
     * detection's fields can always be written as JSON.
     *
     * @throws IllegalArgumentException for values that have no JSON form
     */
    static @Nullable Object freeze(@Nullable Object value) {
        return switch (value) {
            case null -> null;
            case String s -> withoutNul(s);
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case BigInteger big -> big.bitLength() < 64 ? (Object) big.longValue() : big;
            case Double d -> finite(d);
            case Float f -> finite(f.doubleValue());
            case BigDecimal decimal -> finite(decimal.doubleValue());
            case Map<?, ?> map -> freezeMap(map);
            case List<?> list -> {
                List<Object> copy = new ArrayList<>(list.size());
                list.forEach(element -> copy.add(freeze(element)));
                yield Collections.unmodifiableList(copy);
            }
            default ->
                throw new IllegalArgumentException(
                        "not a JSON value: " + value.getClass().getName() + " " + value);
        };
    }

    static Map<String, Object> freezeMap(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, element) -> {
            if (!(key instanceof String name)) {
                throw new IllegalArgumentException("JSON object keys are strings, not " + key);
            }
            // Two keys that differ only by a NUL and a U+FFFD must not become one, the later hiding the earlier.
            String unique = withoutNul(name);
            while (copy.containsKey(unique)) {
                unique += "\uFFFD";
            }
            copy.put(unique, freeze(element));
        });
        return Collections.unmodifiableMap(copy);
    }

    /**
     * The text with each NUL (U+0000) replaced by U+FFFD. PostgreSQL stores no NUL in text or
     * jsonb: a detection carrying one — a command line is the attacker's to write — would be
     * refused by the ledger and so escape response. Replaced, it is stored, and the mark shows
     * where the NUL was.
     */
    static String withoutNul(String text) {
        return text.indexOf('\u0000') < 0 ? text : text.replace('\u0000', '\uFFFD');
    }

    private static Double finite(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no " + d);
        }
        return d;
    }

    static String write(@Nullable Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /**
     * The canonical text of a value: compact JSON with every object's keys sorted. Two deliveries of
     * the same event, however they were indented or ordered, have the same canonical text.
     */
    static String canonical(@Nullable Object value) {
        return write(sorted(value));
    }

    private static @Nullable Object sorted(@Nullable Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new TreeMap<>();
            map.forEach((key, element) -> copy.put((String) key, sorted(element)));
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(JsonValues::sorted).toList();
        }
        return value;
    }

    /** {@code sha256:} and the hex SHA-256 of the canonical text. */
    static String hashId(@Nullable Object value) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest(canonical(value).getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
