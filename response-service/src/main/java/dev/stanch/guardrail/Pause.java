package dev.stanch.guardrail;

import java.time.Instant;
import java.util.Objects;

/**
 * The pause switch, on: while it is, every planned action is blocked.
 *
 * @param by who paused Stanch
 * @param at when
 * @param reason why, in their words
 */
public record Pause(String by, Instant at, String reason) {

    public Pause {
        requireText("by", by);
        Objects.requireNonNull(at, "at");
        requireText("reason", reason);
    }

    private static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a pause needs " + field);
        }
    }
}
