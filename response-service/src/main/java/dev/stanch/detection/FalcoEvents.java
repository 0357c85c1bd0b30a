package dev.stanch.detection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Falco alerts: Falco's JSON output, the same object as Falcosidekick forwards it (webhook body,
 * Kafka record value — with a {@code uuid}), and Falco Talon's test payloads. See
 * docs/detections.md for the mapping.
 */
final class FalcoEvents {

    private static final String NIL_UUID = "00000000-0000-0000-0000-000000000000";

    /** Envelope keys that become the detection's id, rule, time; the rest go to fields. */
    private static final Set<String> CONSUMED = Set.of("uuid", "rule", "time", "source");

    private FalcoEvents() {}

    /** True when the object looks like a Falco alert. */
    static boolean looksLike(JsonObject event) {
        return event.keyIgnoringCase("output_fields") != null
                || (event.keyIgnoringCase("priority") != null && event.keyIgnoringCase("rule") != null);
    }

    static Normalization normalize(JsonObject event, Context context) {
        String rule = string(event, "rule");
        String falcoSource = string(event, "source");
        // Falco's own health and metrics events share the alert envelope (source "internal", rules
        // "Falco internal: …"); they say nothing about a pod.
        if ("internal".equalsIgnoreCase(falcoSource) || (rule != null && rule.startsWith("Falco internal"))) {
            return new Normalization.Ignored(
                    "Falco internal event, not an alert (rule " + Text.quote(String.valueOf(rule)) + ")");
        }
        if (rule == null) {
            throw new RejectedEvent("rule: missing");
        }
        JsonObject outputFields = outputFields(event);

        Target target = target(outputFields);
        Draft draft = new Draft(context);
        Severity severity = severity(string(event, "priority"));
        Instant time = draft.time(time(event, outputFields));
        Connection connection = FalcoConnection.of(outputFields, draft);

        Map<String, Object> fields = new LinkedHashMap<>(outputFields.values());
        event.values().forEach((key, value) -> {
            String lower = key.toLowerCase(Locale.ROOT);
            if (!CONSUMED.contains(lower) && !lower.equals("output_fields")) {
                fields.put(lower, value);
            }
        });
        if (falcoSource != null) {
            fields.put("falco.source", falcoSource);
        }
        String id = draft.id(uuid(event), event.values());
        return new Normalization.Normalized(
                draft.build(id, Source.FALCO, rule, severity, time, target, connection, fields));
    }

    private static @Nullable String string(JsonObject event, String key) {
        String actual = event.keyIgnoringCase(key);
        return actual == null ? null : event.text(actual);
    }

    private static JsonObject outputFields(JsonObject event) {
        String key = event.keyIgnoringCase("output_fields");
        JsonObject fields = key == null ? null : event.object(key);
        // Reasons name output fields by their Falco names (k8s.ns.name), not by a JSON path.
        return fields == null ? JsonObject.root(Map.of()) : JsonObject.root(fields.values());
    }

    /**
     * Syscall events name the pod in {@code k8s.ns.name}/{@code k8s.pod.name}; k8s_audit events name
     * the object of the API request in {@code ka.target.*}, which is a pod to act on only when the
     * request was about a pod (exec, attach, port-forward…).
     */
    private static Target target(JsonObject outputFields) {
        String namespace = outputFields.text("k8s.ns.name");
        String pod = outputFields.text("k8s.pod.name");
        if (namespace != null || pod != null) {
            return Validation.target(
                    "k8s.ns.name", namespace, "k8s.pod.name", pod, outputFields.text("container.name"));
        }
        String resource = outputFields.text("ka.target.resource");
        if (resource != null) {
            if (!resource.equals("pods")) {
                throw new RejectedEvent("no pod to act on: the Kubernetes audit event is about "
                        + Text.quote(resource)
                        + ", not a pod");
            }
            return Validation.target(
                    "ka.target.namespace",
                    outputFields.text("ka.target.namespace"),
                    "ka.target.name",
                    outputFields.text("ka.target.name"),
                    null);
        }
        throw new RejectedEvent("no pod to act on: k8s.ns.name and k8s.pod.name are missing");
    }

    /** Falco priorities, case-insensitively (Falcosidekick title-cases them, rules upper-case). */
    static Severity severity(@Nullable String priority) {
        if (priority == null) {
            throw new RejectedEvent("priority: missing");
        }
        return switch (priority.toLowerCase(Locale.ROOT)) {
            case "emergency", "alert", "critical" -> Severity.CRITICAL;
            case "error" -> Severity.HIGH;
            case "warning" -> Severity.MEDIUM;
            case "notice" -> Severity.LOW;
            case "informational", "info", "debug" -> Severity.INFO;
            default -> throw new RejectedEvent("priority: not a Falco priority: " + Text.quote(priority));
        };
    }

    /**
     * {@code time} (RFC 3339), else the {@code evt.time} epoch it was formatted from. A {@code time}
     * that does not parse but has an {@code evt.time} beside it is a formatting quirk (the Falco docs
     * show {@code …Z+2}); without {@code evt.time} it is refused.
     */
    private static @Nullable Instant time(JsonObject event, JsonObject outputFields) {
        String text = string(event, "time");
        Instant time = Times.rfc3339OrNull(text);
        if (time != null) {
            return time;
        }
        Object evtTime = outputFields.get("evt.time");
        if (evtTime != null) {
            return Times.epoch("evt.time", evtTime);
        }
        if (text != null) {
            throw new RejectedEvent("time: not an RFC 3339 timestamp: " + Text.quote(text));
        }
        return null;
    }

    /**
     * Falcosidekick's {@code uuid}. The nil UUID is a placeholder, not an identity: taken as an id it
     * would make every such event a duplicate of the first.
     */
    private static @Nullable String uuid(JsonObject event) {
        String uuid = string(event, "uuid");
        return uuid == null || uuid.equals(NIL_UUID) ? null : uuid;
    }
}
