package dev.stanch.detection;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Stanch's own detection schema, the JSON form of {@link Detection}:
 *
 * <pre>{@code
 * {"id": "…", "source": "falco", "rule": "…", "severity": "high",
 *  "time": "2024-03-22T11:45:01.589721382Z",
 *  "target": {"namespace": "default", "pod": "web-0", "container": "app"},
 *  "connection": {"direction": "egress", "protocol": "tcp", "peerIp": "140.82.121.4",
 *                 "peerPort": 443, "localIp": "10.244.0.97", "localPort": 55106},
 *  "fields": {…}}
 * }</pre>
 *
 * Written with exactly these names; {@code container}, {@code peerPort}, {@code localIp} and {@code
 * localPort} are {@code null} when unknown, {@code connection} is left out when there is none. Read
 * back with the same validation as a detector's event: this is what other producers send, in a
 * CloudEvent or over HTTP.
 */
public final class DetectionJson {

    private static final List<String> KEYS =
            List.of("id", "source", "rule", "severity", "time", "target", "connection", "fields");
    private static final List<String> TARGET_KEYS = List.of("namespace", "pod", "container");
    private static final List<String> CONNECTION_KEYS =
            List.of("direction", "protocol", "peerIp", "peerPort", "localIp", "localPort");
    private static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "sctp");

    private DetectionJson() {}

    /** The detection as one line of JSON. */
    public static String write(Detection detection) {
        return JsonValues.write(toJsonMap(detection));
    }

    /**
     * The detection as plain JSON values (ordered maps, lists, strings, numbers, booleans, nulls),
     * for callers that embed it in a larger document.
     */
    public static Map<String, Object> toJsonMap(Detection detection) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", detection.id());
        json.put("source", detection.source().wireName());
        json.put("rule", detection.rule());
        json.put("severity", detection.severity().wireName());
        json.put("time", detection.time().toString());
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("namespace", detection.target().namespace());
        target.put("pod", detection.target().pod());
        target.put("container", detection.target().container());
        json.put("target", target);
        Connection connection = detection.connection();
        if (connection != null) {
            Map<String, Object> flow = new LinkedHashMap<>();
            flow.put("direction", connection.direction().wireName());
            flow.put("protocol", connection.protocol());
            flow.put("peerIp", connection.peerIp());
            flow.put("peerPort", connection.peerPort());
            flow.put("localIp", connection.localIp());
            flow.put("localPort", connection.localPort());
            json.put("connection", flow);
        }
        json.put("fields", detection.fields());
        return json;
    }

    /**
     * Reads a detection in Stanch's schema: {@link Normalization.Normalized}, or {@link
     * Normalization.Rejected} naming the first thing that is missing or invalid. Never throws.
     */
    public static Normalization read(String json) {
        try {
            return read(JsonValues.parse(json));
        } catch (RejectedEvent e) {
            return new Normalization.Rejected(e.reason());
        }
    }

    /** As {@link #read(String)}, from bytes in any JSON encoding. */
    public static Normalization read(byte[] json) {
        try {
            return read(JsonValues.parse(json));
        } catch (RejectedEvent e) {
            return new Normalization.Rejected(e.reason());
        }
    }

    private static Normalization read(@Nullable Object value) {
        if (!(value instanceof Map<?, ?>)) {
            throw new RejectedEvent("not a JSON object: a detection is an object");
        }
        // Outside an envelope every component is required, so the clock is never consulted.
        Context context = new Context(Clock.systemUTC(), null);
        return new Normalization.Normalized(fromObject(JsonObject.root(cast(value)), context));
    }

    @SuppressWarnings("unchecked") // plain JSON objects have string keys
    private static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) map;
    }

    /** True when an object is in this schema rather than a detector's. */
    static boolean looksLike(JsonObject event) {
        return event.values().get("target") instanceof Map<?, ?> && event.has("severity");
    }

    /**
     * Reads the schema. In a CloudEvent ({@code context.envelope()} set) {@code id}, {@code time} and
     * {@code source} may be left out: the envelope's id and time stand in, and the source is {@code
     * cloudevents} — a detector that is none of the known ones. Elsewhere they are required.
     */
    static Detection fromObject(JsonObject event, Context context) {
        checkKeys(event, KEYS);
        boolean enveloped = context.envelope() != null;
        Draft draft = new Draft(context);

        String id = event.text("id");
        if (id == null && !enveloped) {
            throw new RejectedEvent("id: missing");
        }
        String sourceName = event.text("source");
        Source source;
        if (sourceName == null) {
            if (!enveloped) {
                throw new RejectedEvent("source: missing");
            }
            source = Source.CLOUDEVENTS;
        } else {
            source = Source.fromWireName(sourceName)
                    .orElseThrow(() -> new RejectedEvent(
                            "source: not one of falco, tetragon, kubearmor, cloudevents: " + Text.quote(sourceName)));
        }
        String rule = event.text("rule");
        if (rule == null) {
            throw new RejectedEvent("rule: missing");
        }
        String severityName = event.text("severity");
        if (severityName == null) {
            throw new RejectedEvent("severity: missing");
        }
        Severity severity = Severity.fromWireName(severityName)
                .orElseThrow(() -> new RejectedEvent(
                        "severity: not one of critical, high, medium, low, info: " + Text.quote(severityName)));
        String timeText = event.text("time");
        if (timeText == null && !enveloped) {
            throw new RejectedEvent("time: missing");
        }
        var time = draft.time(timeText == null ? null : Times.rfc3339("time", timeText));

        JsonObject targetObject = event.object("target");
        if (targetObject == null) {
            throw new RejectedEvent("target: missing");
        }
        checkKeys(targetObject, TARGET_KEYS);
        String container = targetObject.text("container");
        if (container != null && Validation.containerOrNull(container) == null) {
            throw new RejectedEvent(
                    "target.container: not a valid container name (DNS-1123 label): " + Text.quote(container));
        }
        Target target = Validation.target(
                "target.namespace", targetObject.text("namespace"), "target.pod", targetObject.text("pod"), container);

        JsonObject connectionObject = event.object("connection");
        Connection connection = connectionObject == null ? null : connection(connectionObject);

        JsonObject fieldsObject = event.object("fields");
        Map<String, Object> fields = fieldsObject == null ? Map.of() : fieldsObject.values();
        return draft.build(
                id == null ? draft.id(null, event.values()) : Draft.checkedId(id),
                source,
                rule,
                severity,
                time,
                target,
                connection,
                fields);
    }

    private static Connection connection(JsonObject flow) {
        checkKeys(flow, CONNECTION_KEYS);
        String direction = flow.text("direction");
        Connection.Direction parsed = switch (direction) {
            case "egress" -> Connection.Direction.EGRESS;
            case "ingress" -> Connection.Direction.INGRESS;
            case null -> throw new RejectedEvent("connection.direction: missing");
            default -> throw new RejectedEvent("connection.direction: not egress or ingress: " + Text.quote(direction));
        };
        String protocol = flow.text("protocol");
        if (protocol == null) {
            throw new RejectedEvent("connection.protocol: missing");
        }
        if (!PROTOCOLS.contains(protocol)) {
            throw new RejectedEvent("connection.protocol: not one of tcp, udp, sctp: " + Text.quote(protocol));
        }
        String peerIp = flow.text("peerIp");
        if (peerIp == null) {
            throw new RejectedEvent("connection.peerIp: missing");
        }
        String localIp = flow.text("localIp");
        return new Connection(
                parsed,
                protocol,
                Validation.ip("connection.peerIp", peerIp),
                port(flow, "peerPort"),
                localIp == null ? null : Validation.ip("connection.localIp", localIp),
                port(flow, "localPort"));
    }

    /** Ports in this schema are numbers, 1–65535. */
    private static @Nullable Integer port(JsonObject flow, String key) {
        Object value = flow.get(key);
        if (value == null) {
            return null;
        }
        if (!(value instanceof Long number) || number < 1 || number > 65535) {
            throw new RejectedEvent(flow.pathOf(key) + ": not a port number 1–65535: " + Text.quote(value));
        }
        return number.intValue();
    }

    /** Unknown keys are refused: in a schema of our own a misspelt key would silently drop data. */
    private static void checkKeys(JsonObject object, List<String> known) {
        for (String key : object.values().keySet()) {
            if (!known.contains(key)) {
                throw new RejectedEvent(
                        object.pathOf(key) + ": unknown key (expected " + String.join(", ", known) + ")");
            }
        }
    }
}
