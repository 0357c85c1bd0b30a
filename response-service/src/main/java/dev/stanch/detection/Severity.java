package dev.stanch.detection;

import java.util.Locale;
import java.util.Optional;

/** Stanch's severity scale, most severe first. The wire name is the lower-case name. */
public enum Severity {
    CRITICAL,
    HIGH,
    MEDIUM,
    LOW,
    INFO;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True when this severity is the given one or more severe. */
    public boolean isAtLeast(Severity other) {
        return ordinal() <= other.ordinal();
    }

    public static Optional<Severity> fromWireName(String name) {
        for (Severity severity : values()) {
            if (severity.wireName().equals(name)) {
                return Optional.of(severity);
            }
        }
        return Optional.empty();
    }
}
