package dev.stanch.ledger;

import java.time.Instant;
import java.util.Locale;

/**
 * One change of the pause switch, as the control log keeps it (append-only).
 *
 * @param seq its place in the log: 1, 2, 3 …
 * @param at when
 * @param actor who
 * @param action paused or resumed
 * @param reason why, in their words
 */
public record ControlEvent(long seq, Instant at, String actor, Kind action, String reason) {

    public enum Kind {
        PAUSE,
        RESUME;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
