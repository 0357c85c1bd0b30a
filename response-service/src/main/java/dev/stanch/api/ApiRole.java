package dev.stanch.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Who may do what in the REST API. The hierarchy (admin ⊇ responder ⊇ viewer, admin ⊇ detector) is
 * declared once, in {@link ApiSecurityConfiguration#roleHierarchy()}; docs/api.md has the table of
 * roles and endpoints.
 */
public enum ApiRole {
    /** Reads everything, and runs simulations (which change nothing). */
    VIEWER,
    /** A viewer who also approves, rejects and rolls back actions: on-call. */
    RESPONDER,
    /** A responder who also pauses and resumes Stanch, validates and reloads playbooks. */
    ADMIN,
    /** A detector (Falcosidekick, a webhook): posts detections, and nothing else. */
    DETECTOR;

    /** The name in configuration and tokens: lower case. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Spring Security's authority for it. */
    String authority() {
        return "ROLE_" + name();
    }

    public static Optional<ApiRole> fromWireName(String name) {
        return Arrays.stream(values())
                .filter(role -> role.wireName().equals(name))
                .findFirst();
    }

    /** "viewer, responder, admin, detector": for messages that say what is allowed. */
    static String names() {
        return Arrays.stream(values()).map(ApiRole::wireName).collect(Collectors.joining(", "));
    }
}
