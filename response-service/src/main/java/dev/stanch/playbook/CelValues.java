package dev.stanch.playbook;

import com.google.protobuf.NullValue;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A detection's fields as CEL's runtime represents them. {@code Detection} already holds them as
 * plain JSON values with integers as {@code Long} and other numbers as {@code Double}; what is
 * left is what CEL has no type for: null becomes the protobuf null value, and an integer too large
 * for 64 bits a {@code double}. Maps and lists are converted all the way down.
 */
final class CelValues {

    private CelValues() {}

    static Object of(Object value) {
        return switch (value) {
            case null -> NullValue.NULL_VALUE;
            case Map<?, ?> map -> {
                Map<String, Object> converted = new HashMap<>();
                map.forEach((key, item) -> converted.put(String.valueOf(key), of(item)));
                yield converted;
            }
            case List<?> list -> {
                List<Object> converted = new ArrayList<>(list.size());
                list.forEach(item -> converted.add(of(item)));
                yield converted;
            }
            case BigInteger big -> big.doubleValue();
            default -> value;
        };
    }
}
