package dev.stanch.action;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the planners refuse to touch, whatever a playbook asks.
 *
 * @param protectedNamespaces namespaces whose pods are never acted on (nor labelled as a peer)
 * @param ownNamespace the namespace Stanch runs in (protected as well)
 * @param ownPodLabels labels that identify Stanch's own pods, in any namespace
 * @param maxQuarantineShare the largest share (0–1] of a workload's ready replicas that may be in
 *     quarantine at once, this action included
 */
public record Safety(
        Set<String> protectedNamespaces,
        String ownNamespace,
        Map<String, String> ownPodLabels,
        double maxQuarantineShare) {

    public static final Set<String> DEFAULT_PROTECTED = Set.of("kube-system", "kube-public", "kube-node-lease");

    public Safety {
        protectedNamespaces = Set.copyOf(protectedNamespaces);
        Objects.requireNonNull(ownNamespace, "ownNamespace");
        ownPodLabels = Map.copyOf(ownPodLabels);
        if (ownPodLabels.isEmpty()) {
            throw new IllegalArgumentException(
                    "ownPodLabels is empty: Stanch's own pods need at least one label to be recognized by");
        }
        if (!(maxQuarantineShare > 0 && maxQuarantineShare <= 1)) {
            throw new IllegalArgumentException("maxQuarantineShare must be in (0, 1]: " + maxQuarantineShare);
        }
    }

    /** The defaults: Kubernetes' own namespaces and {@code stanch}, half of a workload at most. */
    public static Safety defaults() {
        return new Safety(DEFAULT_PROTECTED, "stanch", Map.of("app.kubernetes.io/name", "stanch"), 0.5);
    }

    public boolean isProtected(String namespace) {
        return protectedNamespaces.contains(namespace) || ownNamespace.equals(namespace);
    }

    /** True when the labels are those of one of Stanch's own pods. */
    public boolean isOwnPod(Map<String, String> labels) {
        return labels != null && labels.entrySet().containsAll(ownPodLabels.entrySet());
    }
}
