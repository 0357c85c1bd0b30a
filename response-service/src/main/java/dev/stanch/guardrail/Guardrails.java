package dev.stanch.guardrail;

import dev.stanch.action.Safety;
import dev.stanch.detection.KubernetesNames;
import java.util.Map;
import java.util.Set;

/**
 * How the guardrails are set: one record for the {@link Gate} and for the planners' {@link Safety},
 * so that protection and the quarantine share are configured once. It is meant to be bound from
 * {@code stanch.guardrails.*} (hence a plain record with one constructor, and wrapper types: a
 * property left out arrives as null and takes its default here, without Spring annotations in the
 * core).
 *
 * <p>Every limit counts only actions that change or may change the cluster (not blocked, not dry
 * run): see {@link Activity}.
 *
 * @param protectedNamespaces namespaces whose pods are never acted on. Default: {@code kube-system},
 *     {@code kube-public}, {@code kube-node-lease}. Setting it replaces the default (list them again
 *     to keep them); {@code ownNamespace} is protected whatever this says
 * @param ownNamespace the namespace Stanch runs in, always protected. Default: {@code stanch}
 * @param ownPodLabels labels that identify Stanch's own pods, in any namespace; the planners never act
 *     on them. Default: {@code app.kubernetes.io/name: stanch}
 * @param maxQuarantineShare the largest share (0–1] of a workload's ready replicas in quarantine at
 *     once, enforced by the quarantine planner ({@link Safety#maxQuarantineShare()}). Default: 0.5
 * @param actionsPerMinute actions started in the last minute, in the whole cluster, beyond which the
 *     next one is blocked. Default: 30 — a storm of detections still gets its first responses, and a
 *     bad playbook cannot relabel a whole cluster in a minute
 * @param actionsPerMinutePerNamespace the same, in the target's namespace. Default: 10 — one noisy
 *     namespace cannot use up the global budget; higher than {@code actionsPerMinute} it never binds
 * @param maxActiveActions actions that hold changes in the cluster or may soon (pending approval
 *     through rolling back), beyond which the next one is blocked. Default: 100 — bounds what one
 *     incident leaves for on-call to review and roll back
 * @param dryRun every action is recorded as a dry run, nothing changes. Default: off
 */
public record Guardrails(
        Set<String> protectedNamespaces,
        String ownNamespace,
        Map<String, String> ownPodLabels,
        Double maxQuarantineShare,
        Integer actionsPerMinute,
        Integer actionsPerMinutePerNamespace,
        Integer maxActiveActions,
        boolean dryRun) {

    private static final int DEFAULT_ACTIONS_PER_MINUTE = 30;
    private static final int DEFAULT_ACTIONS_PER_MINUTE_PER_NAMESPACE = 10;
    private static final int DEFAULT_MAX_ACTIVE_ACTIONS = 100;

    /** Null (left out) takes the default; anything else must be valid, or the error names the field. */
    public Guardrails {
        Safety defaults = Safety.defaults();
        protectedNamespaces = protectedNamespaces == null ? defaults.protectedNamespaces() : protectedNamespaces;
        for (String namespace : protectedNamespaces) {
            requireNamespace("protectedNamespaces", namespace);
        }
        protectedNamespaces = Set.copyOf(protectedNamespaces);
        ownNamespace = ownNamespace == null ? defaults.ownNamespace() : ownNamespace;
        requireNamespace("ownNamespace", ownNamespace);
        ownPodLabels = ownPodLabels == null ? defaults.ownPodLabels() : Map.copyOf(ownPodLabels);
        maxQuarantineShare = maxQuarantineShare == null ? defaults.maxQuarantineShare() : maxQuarantineShare;
        actionsPerMinute = atLeastOne("actionsPerMinute", actionsPerMinute, DEFAULT_ACTIONS_PER_MINUTE);
        actionsPerMinutePerNamespace = atLeastOne(
                "actionsPerMinutePerNamespace", actionsPerMinutePerNamespace, DEFAULT_ACTIONS_PER_MINUTE_PER_NAMESPACE);
        maxActiveActions = atLeastOne("maxActiveActions", maxActiveActions, DEFAULT_MAX_ACTIVE_ACTIONS);
        // Safety checks its own fields (labels, share), with messages that name them: built here only so
        // that a bad value fails when the configuration is read, not at the first plan.
        new Safety(protectedNamespaces, ownNamespace, ownPodLabels, maxQuarantineShare);
    }

    /** Every default: the guardrails of a fresh installation. */
    public static Guardrails defaults() {
        return new Guardrails(null, null, null, null, null, null, null, false);
    }

    /** The planners' view of the same settings. */
    public Safety safety() {
        return new Safety(protectedNamespaces, ownNamespace, ownPodLabels, maxQuarantineShare);
    }

    private static void requireNamespace(String field, String namespace) {
        // A namespace that cannot exist protects nothing: "Kube-System" would leave kube-system open.
        if (namespace == null || !KubernetesNames.isDns1123Label(namespace)) {
            throw new IllegalArgumentException(field + ": \"" + namespace
                    + "\" is not a namespace name (lower-case letters, digits and '-', starting and ending with a"
                    + " letter or digit, at most " + KubernetesNames.MAX_LABEL_LENGTH + " characters)");
        }
    }

    private static int atLeastOne(String field, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new IllegalArgumentException(
                    field + " must be at least 1, not " + value + " (to stop every action, pause Stanch instead)");
        }
        return value;
    }
}
