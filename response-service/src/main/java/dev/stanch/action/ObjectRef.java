package dev.stanch.action;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Names one Kubernetes object: enough to find it again, in a plan, an undo record or a log line.
 *
 * @param apiVersion the object's group and version, e.g. {@code v1} or {@code networking.k8s.io/v1}
 * @param kind the object's kind
 * @param namespace the namespace, or null for a cluster-scoped object
 * @param name the name
 */
public record ObjectRef(
        String apiVersion, String kind, @Nullable String namespace, String name) {

    public ObjectRef {
        Objects.requireNonNull(apiVersion, "apiVersion");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    public static ObjectRef of(HasMetadata object) {
        return new ObjectRef(
                object.getApiVersion(),
                object.getKind(),
                object.getMetadata().getNamespace(),
                object.getMetadata().getName());
    }

    public static ObjectRef pod(String namespace, String name) {
        return new ObjectRef("v1", "Pod", namespace, name);
    }

    @Override
    public String toString() {
        return kind + " " + (namespace == null ? "" : namespace + "/") + name;
    }
}
