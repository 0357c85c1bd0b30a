package dev.stanch.detection;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The pod a detection is about. Namespace and pod are valid DNS-1123 names; the container is
 * informational (not every detector names it).
 */
public record Target(String namespace, String pod, @Nullable String container) {

    public Target {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(pod, "pod");
        // The normalizer rejects invalid names with a reason; this only guards the invariant.
        try {
            Validation.namespace("namespace", namespace);
            Validation.pod("pod", pod);
        } catch (RejectedEvent e) {
            throw new IllegalArgumentException(e.reason());
        }
        if (container != null && !container.equals(Validation.containerOrNull(container))) {
            throw new IllegalArgumentException("container is not a DNS-1123 label: " + container);
        }
    }

    /** {@code namespace/pod}, the key Stanch uses for Kafka records and for a target's history. */
    public String key() {
        return namespace + "/" + pod;
    }
}
