package dev.stanch.detection;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The parts of building a detection that every format shares: where the id and the time come from
 * when the event lacks them, and the {@code stanch.assumed} marker for what Stanch filled in.
 */
final class Draft {

    /** The fields key listing the detection components Stanch assumed rather than read. */
    static final String ASSUMED = "stanch.assumed";

    private final Context context;
    private final List<String> assumed = new ArrayList<>();

    Draft(Context context) {
        this.context = context;
    }

    /**
     * The detector's own event id if it has one, else the envelope's (a CloudEvent id), else a hash
     * of the canonical payload — so a redelivered event gets the id it had the first time.
     */
    String id(@Nullable String detectorId, Object payload) {
        if (detectorId != null) {
            return checkedId(detectorId);
        }
        if (context.envelope() != null) {
            return context.envelope().id();
        }
        return JsonValues.hashId(payload);
    }

    static String checkedId(String id) {
        if (id.length() > 256) {
            // The id is a ledger key and an idempotency key; nothing legitimate is this long.
            throw new RejectedEvent("id: longer than 256 characters: " + Text.quote(id));
        }
        return id;
    }

    /**
     * The event's time if it has one, else the envelope's, else the time it was received — the one
     * thing Stanch assumes about time, and says so in {@code fields}.
     */
    Instant time(@Nullable Instant fromEvent) {
        if (fromEvent != null) {
            return fromEvent;
        }
        if (context.envelope() != null && context.envelope().time() != null) {
            return context.envelope().time();
        }
        assumed.add("time");
        return context.clock().instant();
    }

    /**
     * The protocol the event names, or {@code tcp} when it names none (Falco's Talon payloads, a
     * KubeArmor connect() log): detectors' connection rules are overwhelmingly about TCP, and an
     * assumed protocol is flagged in {@code fields} so a playbook can refuse to act on it.
     */
    String protocolOrTcp(@Nullable String protocol) {
        if (protocol != null) {
            return protocol;
        }
        assumed.add("protocol");
        return "tcp";
    }

    Detection build(
            String id,
            Source source,
            String rule,
            Severity severity,
            Instant time,
            Target target,
            @Nullable Connection connection,
            Map<String, Object> detectorFields) {
        Map<String, Object> fields = new LinkedHashMap<>(detectorFields);
        if (context.envelope() != null) {
            fields.putAll(context.envelope().fields());
        }
        if (!assumed.isEmpty()) {
            fields.put(ASSUMED, List.copyOf(assumed));
        }
        return new Detection(id, source, rule, severity, time, target, connection, fields);
    }
}
