package dev.stanch.detection;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Checks for every value that Stanch later writes into a Kubernetes object (a label, a
 * NetworkPolicy's ipBlock or port): what the API server would refuse, or worse, what would select
 * the wrong thing, is refused here, with the field and the value in the reason.
 */
final class Validation {

    private Validation() {}

    /** A namespace name: a DNS-1123 label (lower case alphanumerics and '-', at most 63). */
    static String namespace(String field, String value) {
        if (!KubernetesNames.isDns1123Label(value)) {
            throw new RejectedEvent(field + ": not a valid namespace name (DNS-1123 label): " + Text.quote(value));
        }
        return value;
    }

    /** A pod name: a DNS-1123 subdomain (labels joined by '.', at most 253). */
    static String pod(String field, String value) {
        if (!KubernetesNames.isDns1123Subdomain(value)) {
            throw new RejectedEvent(field + ": not a valid pod name (DNS-1123 subdomain): " + Text.quote(value));
        }
        return value;
    }

    /**
     * A container name when it is one Kubernetes would accept (a DNS-1123 label), else null. The
     * container is informational — nothing is ever keyed on it — and some runtimes report names that
     * are not Kubernetes names (Docker's {@code k8s_app_pod_ns_…}); the raw value stays in {@code
     * fields}.
     */
    static @Nullable String containerOrNull(@Nullable String value) {
        return value != null && KubernetesNames.isDns1123Label(value) ? value : null;
    }

    static Target target(
            String namespaceField,
            @Nullable String namespace,
            String podField,
            @Nullable String pod,
            @Nullable String container) {
        if (namespace == null && pod == null) {
            throw new RejectedEvent("no pod to act on: " + namespaceField + " and " + podField + " are missing");
        }
        if (namespace == null) {
            throw new RejectedEvent("no pod to act on: " + namespaceField + " is missing");
        }
        if (pod == null) {
            throw new RejectedEvent("no pod to act on: " + podField + " is missing");
        }
        return new Target(namespace(namespaceField, namespace), pod(podField, pod), containerOrNull(container));
    }

    /**
     * An IP literal (IPv4 or IPv6, optionally in brackets) in its canonical text form: IPv6
     * compressed and lower case, IPv4-mapped IPv6 ({@code ::ffff:10.0.0.1}) as the IPv4 address it is
     * — a dual-stack socket reports IPv4 peers that way, and a NetworkPolicy ipBlock for the peer
     * must use the IPv4 form. Parsed, never resolved: host names are refused, not looked up.
     */
    static String ip(String field, String value) {
        String literal = value.strip();
        if (literal.startsWith("[") && literal.endsWith("]")) {
            literal = literal.substring(1, literal.length() - 1);
        }
        if (literal.indexOf('%') >= 0) {
            // A zone index (fe80::1%eth0) is meaningful only on one node; no ipBlock can hold it.
            throw new RejectedEvent(field + ": scoped IPv6 addresses are not supported: " + Text.quote(value));
        }
        if (!InetAddresses.isInetAddress(literal)) {
            throw new RejectedEvent(field + ": not an IP address: " + Text.quote(value));
        }
        InetAddress address = InetAddresses.forString(literal);
        return InetAddresses.toAddrString(address);
    }

    /** The unspecified address of the same family as {@code canonicalIp}. */
    static String unspecifiedLike(@Nullable String canonicalIp) {
        return canonicalIp != null && canonicalIp.contains(":") ? "::" : "0.0.0.0";
    }

    /**
     * A port, 1–65535, given as a JSON number or a string of digits (Falco's Talon payloads quote
     * them). Absent, empty and 0 are "no port" (the kernel reports 0 for the unconnected end of a
     * listening socket) and give null; anything else out of range is refused.
     */
    static @Nullable Integer port(String field, @Nullable Object value) {
        long port;
        switch (value) {
            case null -> {
                return null;
            }
            case Long number -> port = number;
            case String text
            when text.isBlank() -> {
                return null;
            }
            case String text when text.strip().matches("[0-9]{1,6}") -> port = Long.parseLong(text.strip());
            default -> throw new RejectedEvent(field + ": not a port number: " + Text.quote(value));
        }
        if (port == 0) {
            return null;
        }
        if (port < 1 || port > 65535) {
            throw new RejectedEvent(field + ": port out of range 1–65535: " + Text.quote(value));
        }
        return (int) port;
    }

    /**
     * {@code tcp}, {@code udp} or {@code sctp} — the protocols a NetworkPolicy can name — from the
     * spellings detectors use ({@code TCP}, {@code IPPROTO_UDP}, {@code 6}); null for anything else
     * (ICMP, raw sockets), which no connection-level action can cut.
     */
    static @Nullable String protocol(@Nullable Object value) {
        if (value == null) {
            return null;
        }
        String name = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("ipproto_")) {
            name = name.substring("ipproto_".length());
        }
        return switch (name) {
            case "tcp", "6" -> "tcp";
            case "udp", "17" -> "udp";
            case "sctp", "132" -> "sctp";
            default -> null;
        };
    }
}
