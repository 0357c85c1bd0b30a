package dev.stanch.action;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The deny-all policies of a quarantine: a NetworkPolicy on the quarantine label, and — where the
 * cluster serves AdminNetworkPolicy — an admin policy that denies the same pod, because
 * NetworkPolicies only add up and another one that selects the pod would union traffic back in.
 */
final class QuarantinePolicies {

    static final String NAME_PREFIX = "stanch-quarantine-";

    static final String ADMIN_API_VERSION = "policy.networking.k8s.io/v1alpha1";

    static final String ADMIN_KIND = "AdminNetworkPolicy";

    /** The label the API server sets on every namespace from 1.21 on; older servers leave it out. */
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private QuarantinePolicies() {}

    /** The name of both policies: unique per action, at most 58 characters with a 40-character id. */
    static String name(String actionId) {
        return NAME_PREFIX + actionId;
    }

    /** Selects ingress and egress and allows nothing: the pod is isolated in both directions. */
    static NetworkPolicy networkPolicy(String namespace, String actionId) {
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name(actionId))
                .withNamespace(namespace)
                .withLabels(ownLabels(actionId))
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of(StanchLabels.QUARANTINE, actionId))
                .endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .endSpec()
                .build();
    }

    /**
     * Denies the pod's ingress from every pod and its egress to every pod, node and address, ahead of
     * NetworkPolicies. The subject names the namespace by its name label; v1alpha1 ingress rules cannot
     * name sources outside the cluster, so for those the NetworkPolicy's deny-all is what holds.
     */
    static GenericKubernetesResource adminPolicy(String namespace, String actionId, int priority) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("priority", priority);
        spec.put(
                "subject",
                Map.of(
                        "pods",
                        ordered(
                                "namespaceSelector",
                                Map.of("matchLabels", Map.of(NAMESPACE_NAME_LABEL, namespace)),
                                "podSelector",
                                Map.of("matchLabels", Map.of(StanchLabels.QUARANTINE, actionId)))));
        spec.put(
                "ingress",
                List.of(ordered(
                        "name", "stanch-quarantine-deny-ingress",
                        "action", "Deny",
                        "from", List.of(Map.of("namespaces", Map.of())))));
        spec.put(
                "egress",
                List.of(ordered(
                        "name",
                        "stanch-quarantine-deny-egress",
                        "action",
                        "Deny",
                        "to",
                        List.of(
                                Map.of("namespaces", Map.of()),
                                Map.of("nodes", Map.of()),
                                Map.of("networks", List.of("0.0.0.0/0", "::/0"))))));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(ADMIN_API_VERSION)
                .withKind(ADMIN_KIND)
                .withNewMetadata()
                .withName(name(actionId))
                .withLabels(ownLabels(actionId))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }

    /**
     * The priority of the admin policy and what it ties with.
     *
     * @param value numerically below every existing admin-tier policy (lower goes first), 0 at least
     * @param tiedWith the other policies at priority 0 when the value is 0 too: the API leaves the
     *     order of equal priorities undefined (Stanch's own quarantine policies, which only deny, are
     *     left out)
     */
    record Priority(int value, List<String> tiedWith) {
        Priority {
            tiedWith = List.copyOf(tiedWith);
        }
    }

    /**
     * Goes below every AdminNetworkPolicy and every ClusterNetworkPolicy of the Admin tier (the
     * engine orders both kinds together), so that no Allow or Pass of theirs is evaluated first.
     */
    static Priority priority(List<GenericKubernetesResource> adminPolicies) {
        OptionalInt lowest = adminPolicies.stream()
                .mapToInt(QuarantinePolicies::adminTierPriority)
                .filter(priority -> priority >= 0)
                .min();
        int value = lowest.isPresent() ? Math.max(0, lowest.getAsInt() - 1) : 0;
        List<String> tied = new ArrayList<>();
        if (value == 0) {
            for (GenericKubernetesResource policy : adminPolicies) {
                if (adminTierPriority(policy) == 0 && !isOwnQuarantinePolicy(policy)) {
                    tied.add(policy.getKind() + " " + policy.getMetadata().getName());
                }
            }
        }
        return new Priority(value, tied);
    }

    /** The priority of an admin-tier policy; -1 for other kinds and for what the API would reject. */
    private static int adminTierPriority(GenericKubernetesResource policy) {
        if (!(policy.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)) {
            return -1;
        }
        boolean adminTier = switch (policy.getKind()) {
            case ADMIN_KIND -> ADMIN_API_VERSION.equals(policy.getApiVersion());
            case "ClusterNetworkPolicy" -> "Admin".equals(spec.get("tier"));
            case null, default -> false;
        };
        if (adminTier
                && spec.get("priority") instanceof Number priority
                && priority.longValue() >= 0
                && priority.longValue() <= 1000) {
            return priority.intValue();
        }
        return -1;
    }

    private static boolean isOwnQuarantinePolicy(GenericKubernetesResource policy) {
        return policy.getMetadata().getName().startsWith(NAME_PREFIX)
                && policy.getMetadata().getLabels() != null
                && StanchLabels.MANAGED_BY_VALUE.equals(
                        policy.getMetadata().getLabels().get(StanchLabels.MANAGED_BY));
    }

    /** The labels every object Stanch creates carries, so that it is found again after a crash. */
    static Map<String, String> ownLabels(String actionId) {
        return ordered(StanchLabels.MANAGED_BY, StanchLabels.MANAGED_BY_VALUE, StanchLabels.ACTION_ID, actionId);
    }

    /** A map that keeps the order written, so that a manifest reads the way Kubernetes prints it. */
    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> ordered(Object... keysAndValues) {
        Map<String, V> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], (V) keysAndValues[i + 1]);
        }
        return map;
    }
}
