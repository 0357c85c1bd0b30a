package dev.stanch.playbook;

import com.google.protobuf.NullValue;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON values as CEL's runtime represents them: integers as {@code long}, other numbers as {@code
 * double}, null as the protobuf null value; maps and lists converted all the way down.
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
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case BigInteger big -> big.bitLength() < 64 ? big.longValue() : big.doubleValue();
            case BigDecimal decimal -> decimal.doubleValue();
            case Float f -> (double) f;
            default -> value;
        };
    }
}
