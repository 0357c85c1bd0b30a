package dev.stanch.detection;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns one raw event from a detector into a {@link Normalization}: a {@link Detection}, an event
 * that is not an alert ({@link Normalization.Ignored}), or one that cannot be acted on ({@link
 * Normalization.Rejected}, with a reason that names what is wrong). It never throws.
 *
 * <p>The format is recognized from the event itself: Falco (as Falco writes it, as Falcosidekick
 * forwards it over HTTP or Kafka, as Falco Talon's test payloads spell it), Tetragon's JSON export,
 * KubeArmor's alerts and logs, CloudEvents 1.0 (structured JSON) wrapping any of these or Stanch's
 * own schema ({@link DetectionJson}), and that schema on its own. docs/detections.md has the
 * mappings.
 *
 * <p>Plain Java, no I/O, thread-safe: one instance serves every thread. The clock is read only for
 * an event that carries no time at all.
 */
public final class DetectionNormalizer {

    private final Clock clock;

    public DetectionNormalizer() {
        this(Clock.systemUTC());
    }

    /**
     * @param clock the time of receipt, used as a detection's time when its event has none
     */
    public DetectionNormalizer(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Normalizes one event, given as JSON text. */
    public Normalization normalize(String raw) {
        if (raw == null) {
            return new Normalization.Rejected("empty input");
        }
        return guarded(() -> JsonValues.parse(raw));
    }

    /** Normalizes one event, given as JSON bytes (a Kafka record value, an HTTP body). */
    public Normalization normalize(byte[] raw) {
        if (raw == null) {
            return new Normalization.Rejected("empty input");
        }
        return guarded(() -> JsonValues.parse(raw));
    }

    private interface Parser {
        @Nullable
        Object parse();
    }

    private Normalization guarded(Parser parser) {
        try {
            return normalize(parser.parse());
        } catch (RejectedEvent e) {
            return new Normalization.Rejected(e.reason());
        } catch (RuntimeException e) {
            // A bug of ours must not stop the intake: the event goes to the dead-letter topic with the
            // failure as its reason, where someone will look at it.
            return new Normalization.Rejected(
                    "could not normalize (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private Normalization normalize(@Nullable Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            String kind = switch (value) {
                case null -> "null";
                case java.util.List<?> list -> "an array";
                case String s -> "a string";
                case Boolean b -> "a boolean";
                default -> "a number";
            };
            throw new RejectedEvent("not an event: expected a JSON object, got " + kind);
        }
        @SuppressWarnings("unchecked") // plain JSON objects have string keys
        JsonObject event = JsonObject.root((Map<String, Object>) map);
        EventFormat format = EventFormat.sniff(event);
        if (format == null) {
            throw new RejectedEvent(
                    "unrecognized event: not Falco (output_fields, rule, priority), Tetragon (a process_*"
                            + " key), KubeArmor (Operation, PodName), a CloudEvent (specversion) or a Stanch"
                            + " detection (target, severity)");
        }
        return format.read(event, new Context(clock, null));
    }
}
