package dev.stanch.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * What became of the detection records taken from Kafka: {@code stanch.detections{outcome}}, one
 * counter per outcome, registered up front so that each reads 0 before its first event. Tags come
 * from this closed set only: nothing a detector sends becomes a tag value.
 */
final class DetectionOutcomes {

    static final String METER = "stanch.detections";
    static final String RETRIES = "stanch.kafka.intake.retries";

    enum Outcome {
        /** Stored, and a playbook recorded an action. */
        ACTED,
        /** Seen before (a redelivery, or the same event twice): nothing changed. */
        DUPLICATE,
        /** Stored; no playbook acted. */
        NO_ACTION,
        /** Not an alert (Falco's internal events …): committed, nothing stored. */
        IGNORED,
        /** Sent to the dead-letter topic: unreadable, malformed, too large, or an error that would recur. */
        REJECTED;

        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
    private final Counter retries;

    DetectionOutcomes(MeterRegistry registry) {
        for (Outcome outcome : Outcome.values()) {
            counters.put(
                    outcome,
                    Counter.builder(METER)
                            .description("Detection records taken from Kafka, by what became of them")
                            .tag("outcome", outcome.tag())
                            .register(registry));
        }
        retries = Counter.builder(RETRIES)
                .description("Deliveries of a detection record that failed transiently and will be retried")
                .register(registry);
    }

    void count(Outcome outcome) {
        counters.get(outcome).increment();
    }

    void countRetry() {
        retries.increment();
    }
}
