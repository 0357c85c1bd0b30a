package dev.stanch.detection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * KubeArmor alerts ({@code MatchedPolicy}, {@code MatchedHostPolicy}, {@code MatchedNetworkPolicy})
 * and logs ({@code ContainerLog}, {@code HostLog}) in KubeArmor's native JSON. See
 * docs/detections.md for the mapping.
 */
final class KubeArmorEvents {

    /** Keys only KubeArmor writes (PascalCase, unlike Falco's and Tetragon's). */
    private static final Set<String> MARKERS = Set.of("Operation", "PodName", "NamespaceName");

    private KubeArmorEvents() {}

    static boolean looksLike(JsonObject event) {
        return MARKERS.stream().anyMatch(event.values()::containsKey) || (event.has("Type") && event.has("HostName"));
    }

    static Normalization normalize(JsonObject event, Context context) {
        String type = event.text("Type");
        if ("SystemEvent".equals(type)) {
            return new Normalization.Ignored("KubeArmor SystemEvent (" + event.text("Operation") + "), not an alert");
        }
        String namespace = event.text("NamespaceName");
        String pod = event.text("PodName");
        if (namespace == null && pod == null) {
            throw new RejectedEvent("no pod to act on: a host event (Type "
                    + Text.quote(String.valueOf(type))
                    + ", HostName "
                    + Text.quote(String.valueOf(event.text("HostName")))
                    + ")");
        }
        Target target = Validation.target("NamespaceName", namespace, "PodName", pod, event.text("ContainerName"));

        String rule = event.text("PolicyName");
        if (rule == null) {
            rule = type; // logs have no policy: the rule is the log type (ContainerLog)
        }
        if (rule == null) {
            throw new RejectedEvent("PolicyName and Type: missing");
        }
        Draft draft = new Draft(context);
        Severity severity = severity(event.get("Severity"), type);
        Instant time = draft.time(time(event));
        Connection connection = KubeArmorConnection.of(event, draft);

        Map<String, Object> fields = new LinkedHashMap<>(event.values());
        return new Normalization.Normalized(draft.build(
                draft.id(null, event.values()), Source.KUBEARMOR, rule, severity, time, target, connection, fields));
    }

    /**
     * KubeArmor's policy severity, 1–10, banded like CVSS: 1–3 low, 4–6 medium, 7–8 high, 9–10
     * critical. Without one: a log (ContainerLog) is info; an alert is low, as KubeArmor itself
     * defaults a policy's severity to 1 (DefaultPosture alerts carry none).
     */
    static Severity severity(@Nullable Object value, @Nullable String type) {
        boolean absent = value == null || (value instanceof String s && s.isBlank());
        if (absent) {
            return type != null && type.startsWith("Matched") ? Severity.LOW : Severity.INFO;
        }
        long level;
        switch (value) {
            case Long number -> level = number;
            case String text when text.strip().matches("[0-9]{1,2}") -> level = Long.parseLong(text.strip());
            default -> throw new RejectedEvent("Severity: not a KubeArmor severity 1–10: " + Text.quote(value));
        }
        if (level < 1 || level > 10) {
            throw new RejectedEvent("Severity: not a KubeArmor severity 1–10: " + Text.quote(value));
        }
        if (level >= 9) {
            return Severity.CRITICAL;
        }
        if (level >= 7) {
            return Severity.HIGH;
        }
        return level >= 4 ? Severity.MEDIUM : Severity.LOW;
    }

    /**
     * {@code UpdatedTime} (RFC 3339, microseconds), else {@code UpdatedTimeISO}, else the {@code
     * Timestamp} epoch.
     */
    private static @Nullable Instant time(JsonObject event) {
        for (String key : new String[] {"UpdatedTime", "UpdatedTimeISO"}) {
            String text = event.text(key);
            if (text != null) {
                return Times.rfc3339(key, text);
            }
        }
        Object timestamp = event.get("Timestamp");
        return timestamp == null ? null : Times.epoch("Timestamp", timestamp);
    }
}
