package dev.stanch.action;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The controller of a pod, as its controller owner reference names it, and the workload object
 * when the snapshot holds it (its selector decides what detaching must move).
 *
 * @param reference the owner reference marked {@code controller: true}
 * @param workload the controller object with that uid, or null when the snapshot does not hold it
 */
record PodOwner(OwnerReference reference, @Nullable HasMetadata workload) {

    PodOwner {
        Objects.requireNonNull(reference, "reference");
    }

    /**
     * The pod's controller; empty for a bare pod, and for a static pod, whose "owner" is its Node:
     * neither has replicas to keep serving.
     */
    static Optional<PodOwner> of(Pod pod, ClusterSnapshot cluster) {
        return controllerReference(pod)
                .map(reference -> new PodOwner(
                        reference,
                        cluster.workloads().stream()
                                .filter(workload -> reference
                                                .getUid()
                                                .equals(workload.getMetadata().getUid())
                                        && reference.getKind().equals(workload.getKind()))
                                .findFirst()
                                .orElse(null)));
    }

    private static Optional<OwnerReference> controllerReference(Pod pod) {
        List<OwnerReference> references = pod.getMetadata().getOwnerReferences();
        if (references == null) {
            return Optional.empty();
        }
        return references.stream()
                .filter(reference -> Boolean.TRUE.equals(reference.getController())
                        && reference.getUid() != null
                        && reference.getKind() != null
                        && !"Node".equals(reference.getKind()))
                .findFirst();
    }

    /** {@code ReplicaSet shop/web-7d9f}. */
    String describe(String namespace) {
        return reference.getKind() + " " + namespace + "/" + reference.getName();
    }

    boolean isStatefulSet() {
        return "StatefulSet".equals(reference.getKind());
    }

    /**
     * The pods of the same namespace whose controller is this owner (same uid), the given one
     * included — and the pods quarantined out of it, which a detach has orphaned.
     */
    List<Pod> pods(String namespace, ClusterSnapshot cluster) {
        return cluster.pods().stream()
                .filter(pod -> namespace.equals(pod.getMetadata().getNamespace()))
                .filter(pod -> controllerReference(pod)
                                .map(other -> reference.getUid().equals(other.getUid()))
                                .orElse(false)
                        || reference.getUid().equals(annotation(pod, StanchLabels.QUARANTINED_FROM)))
                .toList();
    }

    String uid() {
        return reference.getUid();
    }

    private static @Nullable String annotation(Pod pod, String key) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    /**
     * The workload's pod selector; empty when the workload is unknown or has none. A
     * ReplicationController's map selector is read as matchLabels.
     */
    Optional<LabelSelector> selector() {
        LabelSelector selector = switch (workload) {
            case ReplicaSet replicaSet ->
                replicaSet.getSpec() == null ? null : replicaSet.getSpec().getSelector();
            case StatefulSet statefulSet ->
                statefulSet.getSpec() == null ? null : statefulSet.getSpec().getSelector();
            case DaemonSet daemonSet ->
                daemonSet.getSpec() == null ? null : daemonSet.getSpec().getSelector();
            case Job job -> job.getSpec() == null ? null : job.getSpec().getSelector();
            case ReplicationController controller ->
                controller.getSpec() == null || controller.getSpec().getSelector() == null
                        ? null
                        : new LabelSelectorBuilder()
                                .withMatchLabels(controller.getSpec().getSelector())
                                .build();
            case null, default -> null;
        };
        if (selector == null || (isEmpty(selector.getMatchLabels()) && isEmpty(selector.getMatchExpressions()))) {
            return Optional.empty();
        }
        return Optional.of(selector);
    }

    /** True when the pod's Ready condition is True: it serves traffic for its workload. */
    static boolean ready(Pod pod) {
        return pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(condition ->
                                "Ready".equals(condition.getType()) && "True".equals(condition.getStatus()));
    }

    private static boolean isEmpty(@Nullable Map<?, ?> map) {
        return map == null || map.isEmpty();
    }

    private static boolean isEmpty(@Nullable List<?> list) {
        return list == null || list.isEmpty();
    }
}
