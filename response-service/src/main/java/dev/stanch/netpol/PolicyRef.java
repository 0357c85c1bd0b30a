package dev.stanch.netpol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Names one policy object.
 *
 * @param kind which API
 * @param namespace the namespace of a NetworkPolicy; {@code null} for cluster-scoped policies
 * @param name the object's name
 */
public record PolicyRef(PolicyKind kind, @Nullable String namespace, String name) {

    public PolicyRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    /** {@code NetworkPolicy hello-world/allow-b}, {@code AdminNetworkPolicy deny-all}. */
    @Override
    public String toString() {
        return kind.kind() + " " + (namespace == null ? name : namespace + "/" + name);
    }
}
