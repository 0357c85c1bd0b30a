package dev.stanch.detection;

import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * CloudEvents 1.0 in structured JSON mode: an envelope whose {@code data} (or {@code data_base64})
 * is a Falco, Tetragon or KubeArmor event, or a detection in Stanch's own schema. The format of the
 * data is named by the {@code type} ({@link EventFormat#fromCloudEventType}) or, when the type
 * names none, recognized from the data itself.
 *
 * <p>The envelope's {@code id} is the detection's id unless the data has its own (a Falcosidekick
 * uuid, a Stanch detection's id); its {@code time} stands in for a data time that is missing; its
 * {@code id}, {@code source}, {@code type} and {@code subject} join the fields as {@code
 * cloudevents.*}.
 */
final class CloudEvents {

    private CloudEvents() {}

    static Normalization normalize(JsonObject event, Context context) {
        if (context.envelope() != null) {
            throw new RejectedEvent("data: a CloudEvent inside a CloudEvent is not supported");
        }
        String specVersion = event.text("specversion");
        if (!"1.0".equals(specVersion)) {
            throw new RejectedEvent(
                    "specversion: only CloudEvents 1.0 is supported, not " + Text.quote(String.valueOf(specVersion)));
        }
        String id = required(event, "id");
        String source = required(event, "source");
        String type = required(event, "type");
        String timeText = event.text("time");
        Instant time = timeText == null ? null : Times.rfc3339("time", timeText);
        checkContentType(event.text("datacontenttype"));

        JsonObject data = data(event);
        EventFormat format = EventFormat.fromCloudEventType(type);
        if (format == null) {
            format = EventFormat.sniff(data);
        }
        if (format == null) {
            throw new RejectedEvent("data: neither the type "
                    + Text.quote(type)
                    + " nor the data names a known format (Falco, Tetragon, KubeArmor, "
                    + EventFormat.STANCH_TYPE
                    + ")");
        }
        if (format == EventFormat.CLOUDEVENT) {
            throw new RejectedEvent("data: a CloudEvent inside a CloudEvent is not supported");
        }
        Map<String, Object> envelopeFields = new LinkedHashMap<>();
        envelopeFields.put("cloudevents.id", id);
        envelopeFields.put("cloudevents.source", source);
        envelopeFields.put("cloudevents.type", type);
        String subject = event.text("subject");
        if (subject != null) {
            envelopeFields.put("cloudevents.subject", subject);
        }
        Context.Envelope envelope = new Context.Envelope(Draft.checkedId(id), time, envelopeFields);
        return format.read(data, new Context(context.clock(), envelope));
    }

    private static String required(JsonObject event, String attribute) {
        String value = event.text(attribute);
        if (value == null) {
            throw new RejectedEvent(attribute + ": missing (a CloudEvent requires it)");
        }
        return value;
    }

    /** Absent means JSON (structured mode); otherwise it must be a JSON media type. */
    private static void checkContentType(@Nullable String contentType) {
        if (contentType == null) {
            return;
        }
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json") && !mediaType.equals("text/json") && !mediaType.endsWith("+json")) {
            throw new RejectedEvent("datacontenttype: only JSON data is supported, not " + Text.quote(contentType));
        }
    }

    private static JsonObject data(JsonObject event) {
        Object data = event.get("data");
        String base64 = event.text("data_base64");
        if (data != null && base64 != null) {
            throw new RejectedEvent("data and data_base64: a CloudEvent has one or the other");
        }
        Object value;
        if (base64 != null) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new RejectedEvent("data_base64: not base64: " + e.getMessage());
            }
            value = parseData("data_base64", bytes);
        } else if (data instanceof String text) {
            // Some producers put the JSON document in a string.
            value = parseData("data", text);
        } else {
            value = data;
        }
        if (value == null) {
            throw new RejectedEvent("data: missing");
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new RejectedEvent("data: expected a JSON object, got " + Text.quote(value));
        }
        @SuppressWarnings("unchecked") // plain JSON objects have string keys
        Map<String, Object> entries = (Map<String, Object>) map;
        return JsonObject.root(entries);
    }

    private static @Nullable Object parseData(String attribute, Object raw) {
        try {
            return raw instanceof byte[] bytes ? JsonValues.parse(bytes) : JsonValues.parse((String) raw);
        } catch (RejectedEvent e) {
            throw new RejectedEvent(attribute + ": " + e.reason());
        }
    }
}
