package dev.stanch.api;

import java.security.Principal;
import java.util.Map;
import org.springframework.http.HttpStatus;

/** Checks on what callers send, shared by the controllers: each failure names the field. */
final class Requests {

    /** The longest reason kept: a sentence or a paragraph, not a document. */
    static final int MAX_REASON_LENGTH = 2000;

    private Requests() {}

    /**
     * The {@code reason} of a body {@code {"reason": "…"}}: required, a non-blank string of at most
     * {@link #MAX_REASON_LENGTH} characters. Other fields are refused, so that a typo does not pass
     * as a missing reason.
     */
    static String reason(Map<String, Object> body) {
        for (String key : body.keySet()) {
            if (!key.equals("reason")) {
                throw ApiProblem.invalid(key, "unknown field; the body is {\"reason\": \"why\"}");
            }
        }
        Object value = body.get("reason");
        if (value == null) {
            throw ApiProblem.invalid("reason", "required: say why; the audit log keeps it");
        }
        if (!(value instanceof String reason)) {
            throw ApiProblem.invalid("reason", "expected a string, got " + jsonType(value));
        }
        if (reason.isBlank()) {
            throw ApiProblem.invalid("reason", "must not be blank: say why; the audit log keeps it");
        }
        if (reason.length() > MAX_REASON_LENGTH) {
            throw ApiProblem.invalid("reason", "at most " + MAX_REASON_LENGTH + " characters, got " + reason.length());
        }
        if (reason.indexOf('\u0000') >= 0) {
            throw ApiProblem.invalid("reason", "must not contain U+0000");
        }
        return reason;
    }

    /**
     * Who is calling, as the audit log records them. Names starting with {@code stanch:} are Stanch's
     * own components there (the playbooks, the guardrails, the executor): no person may act as one.
     */
    static String actor(Principal principal) {
        String name = principal.getName();
        if (name.startsWith(ApiSecurityProperties.RESERVED_ACTOR_PREFIX)) {
            throw new ApiProblem(
                    HttpStatus.FORBIDDEN,
                    "reserved-actor",
                    "Reserved name",
                    "\"" + name + "\" cannot act: names starting with \""
                            + ApiSecurityProperties.RESERVED_ACTOR_PREFIX
                            + "\" are Stanch's own components in the audit log");
        }
        return name;
    }

    static String jsonType(Object value) {
        return switch (value) {
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Number n -> "a number";
            case Map<?, ?> m -> "an object";
            case java.util.List<?> l -> "an array";
            default -> value.getClass().getSimpleName();
        };
    }
}
