package dev.stanch.detection;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A detection, normalized from whatever a detector emitted. Everything that later ends up in a
 * Kubernetes object (namespace, pod, addresses, ports) has been validated by the normalizer.
 *
 * @param id the detector's event id where it has one, else a hash of the canonical payload
 * @param source the detector family
 * @param rule the rule or policy that fired, as the detector names it
 * @param severity mapped onto Stanch's five levels
 * @param time when the detector saw it
 * @param target the pod to act on
 * @param connection the network flow, for events that have one
 * @param fields the detector's remaining fields, as JSON values (maps, lists, strings, numbers,
 *     booleans, nulls); integers are {@code Long}, other numbers {@code Double}. The keys follow
 *     per-detector conventions (docs/detections.md), e.g. {@code proc.name} for Falco, {@code
 *     process.binary} for Tetragon, {@code Operation} for KubeArmor
 * @throws IllegalArgumentException if a field value has no JSON form
 */
public record Detection(
        String id,
        Source source,
        String rule,
        Severity severity,
        Instant time,
        Target target,
        @Nullable Connection connection,
        Map<String, Object> fields) {

    public Detection {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        rule = JsonValues.withoutNul(Objects.requireNonNull(rule, "rule"));
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(target, "target");
        // A deep, unmodifiable copy in plain JSON form (integers as Long): detections are shared
        // across threads, and two detections read from the same JSON compare equal.
        fields = fields == null ? Map.of() : JsonValues.freezeMap(fields);
    }
}
