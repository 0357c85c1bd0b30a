package dev.stanch.netpol;

import org.jspecify.annotations.Nullable;

/**
 * The transport protocols that Kubernetes network policies match. Policies cannot name ICMP or any
 * other protocol, so the engine's universe of connections is these three times ports 1–65535.
 */
public enum Protocol {
    TCP,
    UDP,
    SCTP;

    /** Parses a protocol as the API spells it; an absent protocol is TCP, the API default. */
    static Protocol parse(@Nullable String value, String path) {
        if (value == null || value.isEmpty()) {
            return TCP;
        }
        return switch (value) {
            case "TCP" -> TCP;
            case "UDP" -> UDP;
            case "SCTP" -> SCTP;
            default ->
                throw new InvalidResourceException(path + ": unsupported protocol '" + value + "' (TCP, UDP or SCTP)");
        };
    }
}
