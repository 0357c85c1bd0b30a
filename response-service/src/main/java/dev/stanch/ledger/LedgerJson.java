package dev.stanch.ledger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** JSON in and out of the ledger's jsonb columns, as plain values (maps, lists, strings, numbers, booleans). */
final class LedgerJson {

    private static final JsonMapper VALUES = JsonMapper.builder().build();

    /** For hashing: no number is rounded on the way in. */
    private static final JsonMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private LedgerJson() {}

    static String write(@Nullable Object value) {
        return VALUES.writeValueAsString(value);
    }

    /**
     * Plain values as the rest of Stanch holds them: integers as {@code Long} (or {@code BigInteger}
     * beyond it), other numbers as {@code Double}.
     */
    static @Nullable Object read(String json) {
        return longs(VALUES.readValue(json, Object.class));
    }

    @SuppressWarnings("unchecked") // a jsonb object column holds an object
    static Map<String, Object> readObject(String json) {
        return (Map<String, Object>) read(json);
    }

    /** Exact values for hashing: integers as {@code BigInteger}, other numbers as {@code BigDecimal}. */
    static @Nullable Object readExact(String json) {
        return EXACT.readValue(json, Object.class);
    }

    private static @Nullable Object longs(@Nullable Object value) {
        return switch (value) {
            case Integer number -> number.longValue();
            case Map<?, ?> map -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                map.forEach((key, entry) -> copy.put((String) key, longs(entry)));
                yield copy;
            }
            case List<?> list -> {
                List<Object> copy = new ArrayList<>(list.size());
                list.forEach(entry -> copy.add(longs(entry)));
                yield copy;
            }
            case null, default -> value;
        };
    }
}
