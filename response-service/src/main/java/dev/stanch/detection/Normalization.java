package dev.stanch.detection;

import java.util.Objects;

/**
 * What became of one raw event: a detection, an event that is not an alert (ignored), or one that
 * cannot be acted on (rejected). Never an exception.
 */
public sealed interface Normalization {

    record Normalized(Detection detection) implements Normalization {
        public Normalized {
            Objects.requireNonNull(detection, "detection");
        }
    }

    /** Not an alert, e.g. Falco's internal metrics events. */
    record Ignored(String reason) implements Normalization {
        public Ignored {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Unreadable, or nothing to act on (a host process, an event without pod fields). */
    record Rejected(String reason) implements Normalization {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
