package dev.stanch.detection;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Reading the times detectors write: RFC 3339 text, and epoch numbers of any resolution. */
final class Times {

    /** Detections are about things that happened since 1970 and before year 10000 (RFC 3339). */
    private static final Instant EARLIEST = Instant.EPOCH;

    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private Times() {}

    /** RFC 3339 ({@code 2024-03-22T11:45:01.589721382Z}, any offset), or null if it is not one. */
    static @Nullable Instant rfc3339OrNull(@Nullable String text) {
        if (text == null) {
            return null;
        }
        try {
            // RFC 3339 allows lower-case 't' and 'z'.
            Instant instant = OffsetDateTime.parse(
                            text.strip().toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
            return inRange(instant) ? instant : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static Instant rfc3339(String field, String text) {
        Instant instant = rfc3339OrNull(text);
        if (instant == null) {
            throw new RejectedEvent(field + ": not an RFC 3339 timestamp: " + Text.quote(text));
        }
        return instant;
    }

    /**
     * An epoch number in seconds, milliseconds, microseconds or nanoseconds, told apart by size:
     * Falco's {@code evt.time} is nanoseconds but its docs also show microseconds, KubeArmor's {@code
     * Timestamp} is seconds. The cut-offs keep seconds, milliseconds and microseconds apart until
     * year 5138; a 64-bit nanosecond count ends in 2262 anyway. Numbers may come as JSON numbers or
     * strings of digits.
     */
    static Instant epoch(String field, Object value) {
        long number = switch (value) {
            case Long l when l >= 0 -> l;
            case String s when s.strip().matches("[0-9]{1,19}") -> digits(field, s.strip());
            default -> throw new RejectedEvent(field + ": not an epoch time: " + Text.quote(value));
        };
        if (number < 100_000_000_000L) {
            return Instant.ofEpochSecond(number);
        }
        if (number < 100_000_000_000_000L) {
            return Instant.ofEpochMilli(number);
        }
        if (number < 100_000_000_000_000_000L) {
            return Instant.ofEpochSecond(number / 1_000_000, (number % 1_000_000) * 1_000);
        }
        return Instant.ofEpochSecond(number / 1_000_000_000, number % 1_000_000_000);
    }

    private static long digits(String field, String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new RejectedEvent(field + ": not an epoch time: " + Text.quote(digits));
        }
    }

    private static boolean inRange(Instant instant) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(LATEST);
    }
}
