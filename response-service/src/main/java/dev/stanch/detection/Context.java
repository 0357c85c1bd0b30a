package dev.stanch.detection;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a format reader knows besides the event itself.
 *
 * @param clock the time of receipt: the time of a detection whose event has none (marked in {@code
 *     fields} as assumed)
 * @param envelope the CloudEvent the event came in, if any
 */
record Context(Clock clock, @Nullable Envelope envelope) {

    /**
     * The CloudEvent around an event: its id stands in for a missing event id, its time for a missing
     * event time, and its attributes join the detection's fields.
     */
    record Envelope(String id, @Nullable Instant time, Map<String, Object> fields) {}
}
