package dev.stanch.detection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Tetragon's JSON export: one top-level key names the event kind ({@code process_exec}, {@code
 * process_kprobe}, …) and holds the event; {@code node_name} and {@code time} sit beside it. Also
 * the legacy flat network kinds ({@code process_connect}, {@code process_listen}, {@code
 * process_close}) of Tetragon's early releases. See docs/detections.md for the mapping.
 */
final class TetragonEvents {

    private static final Pattern KIND = Pattern.compile("process_[a-z0-9_]+");

    /**
     * Kinds that exist only because a TracingPolicy asked for them: someone decided this hook is
     * worth reporting.
     */
    private static final Set<String> POLICY_KINDS =
            Set.of("process_kprobe", "process_tracepoint", "process_uprobe", "process_lsm", "process_usdt");

    /**
     * Kinds Tetragon emits for every process or flow, whatever the policies: telemetry that a
     * playbook selects by rule and fields.
     */
    private static final Set<String> TELEMETRY_KINDS = Set.of("process_exec", "process_connect", "process_listen");

    /** Kinds that are not alerts, and why. */
    private static final Map<String, String> NOT_ALERTS = Map.of(
            "process_exit", "the process has ended; its process_exec was reported",
            "process_close", "the end of a flow whose process_connect was reported",
            "process_loader", "shared-library load telemetry",
            "process_throttle", "Tetragon's own throttling notice",
            "rate_limit_info", "Tetragon's own rate-limit notice");

    /** Free-form maps: their keys are data (label names), not part of a path. */
    private static final Set<String> KEEP_WHOLE = Set.of("pod_labels", "pod_annotations", "node_labels");

    private TetragonEvents() {}

    static boolean looksLike(JsonObject event) {
        return event.values().keySet().stream().anyMatch(TetragonEvents::isKind);
    }

    private static boolean isKind(String key) {
        return KIND.matcher(key).matches() || NOT_ALERTS.containsKey(key);
    }

    static Normalization normalize(JsonObject event, Context context) {
        List<String> kinds =
                event.values().keySet().stream().filter(TetragonEvents::isKind).toList();
        if (kinds.isEmpty()) {
            throw new RejectedEvent("no Tetragon event kind (a process_* key) in the event");
        }
        if (kinds.size() > 1) {
            throw new RejectedEvent("more than one Tetragon event kind: " + kinds);
        }
        String kind = kinds.getFirst();
        if (NOT_ALERTS.containsKey(kind)) {
            return new Normalization.Ignored("Tetragon " + kind + " is not an alert: " + NOT_ALERTS.get(kind));
        }
        boolean policy = POLICY_KINDS.contains(kind);
        if (!policy && !TELEMETRY_KINDS.contains(kind)) {
            // Unknown kinds go to the dead-letter topic rather than vanish: a new Tetragon release may
            // have added an alert we should learn to read.
            throw new RejectedEvent("unsupported Tetragon event kind " + Text.quote(kind));
        }
        JsonObject body = event.object(kind);
        if (body == null) {
            throw new RejectedEvent(kind + ": missing");
        }
        JsonObject process = body.object("process");
        if (process == null) {
            throw new RejectedEvent(kind + ".process: missing");
        }
        Target target = target(process, kind);

        Draft draft = new Draft(context);
        Instant time = draft.time(time(event, kind, process));
        Connection connection = switch (kind) {
            case "process_connect", "process_listen" -> TetragonConnection.legacy(kind, body, draft);
            case "process_exec" -> null;
            default -> TetragonConnection.fromSocketArgs(body, draft);
        };

        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("tetragon.event", kind);
        flatten("", body.values(), fields);
        event.values().forEach((key, value) -> {
            if (!key.equals(kind) && !key.equals("time")) {
                fields.put(key, value);
            }
        });

        return new Normalization.Normalized(draft.build(
                draft.id(null, event.values()),
                Source.TETRAGON,
                rule(kind, body),
                policy ? Severity.MEDIUM : Severity.INFO,
                time,
                target,
                connection,
                fields));
    }

    private static Target target(JsonObject process, String kind) {
        JsonObject pod = process.object("pod");
        if (pod == null) {
            String binary = process.text("binary");
            throw new RejectedEvent("no pod to act on: a host process ("
                    + kind
                    + ".process.pod is missing"
                    + (binary == null ? "" : ", binary " + Text.quote(binary))
                    + ")");
        }
        JsonObject container = pod.object("container");
        return Validation.target(
                pod.pathOf("namespace"),
                pod.text("namespace"),
                pod.pathOf("name"),
                pod.text("name"),
                container == null ? null : container.text("name"));
    }

    /**
     * The event's {@code time}; for a process_exec without one (Tetragon's own test data has such
     * lines) the process's {@code start_time}, which is the exec.
     */
    private static @Nullable Instant time(JsonObject event, String kind, JsonObject process) {
        String time = event.text("time");
        if (time != null) {
            return Times.rfc3339("time", time);
        }
        String start = process.text("start_time");
        if (kind.equals("process_exec") && start != null) {
            return Times.rfc3339(process.pathOf("start_time"), start);
        }
        return null;
    }

    /**
     * The TracingPolicy's name where there is one — Tetragon's equivalent of a rule — else the hook
     * (function, tracepoint, symbol), else the kind itself (process_exec and the legacy kinds).
     */
    private static String rule(String kind, JsonObject body) {
        String policy = body.text("policy_name");
        if (policy != null) {
            return policy;
        }
        String function = body.text("function_name");
        if (function != null) {
            return function;
        }
        String subsys = body.text("subsys");
        String tracepoint = body.text("event");
        if (subsys != null && tracepoint != null) {
            return subsys + "/" + tracepoint;
        }
        String symbol = body.text("symbol");
        return symbol != null ? symbol : kind;
    }

    /**
     * Every value under the event kind, keyed by its path ({@code process.binary}, {@code
     * process.pod.container.image.name}, {@code function_name}); arrays ({@code args}, {@code
     * ancestors}) and free-form maps ({@code pod_labels}) stay whole.
     */
    private static void flatten(String prefix, Map<String, Object> values, Map<String, Object> out) {
        values.forEach((key, value) -> {
            String path = prefix + key;
            if (value instanceof Map<?, ?> map && !map.isEmpty() && !KEEP_WHOLE.contains(key)) {
                @SuppressWarnings("unchecked") // plain JSON objects have string keys
                Map<String, Object> nested = (Map<String, Object>) map;
                flatten(path + ".", nested, out);
            } else {
                out.put(path, value);
            }
        });
    }
}
