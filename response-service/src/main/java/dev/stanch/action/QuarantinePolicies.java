package dev.stanch.action;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deny-all policies of a quarantine: a NetworkPolicy on the quarantine label, and — where the
 * cluster serves ClusterNetworkPolicy or AdminNetworkPolicy — an admin policy that denies the same pod, because
 * NetworkPolicies only add up and another one that selects the pod would union traffic back in.
 */
final class QuarantinePolicies {

    static final String NAME_PREFIX = "stanch-quarantine-";

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
    static GenericKubernetesResource adminPolicy(
            AdminPolicies.Api api, String namespace, String actionId, int priority) {
        Map<String, Object> spec = new LinkedHashMap<>();
        if (api == AdminPolicies.Api.CLUSTER_NETWORK_POLICY) {
            spec.put("tier", "Admin");
        }
        spec.put("priority", priority);
        spec.put(
                "subject",
                Map.of(
                        "pods",
                        ordered(
                                "namespaceSelector",
                                Map.of("matchLabels", Map.of(AdminPolicies.NAMESPACE_NAME_LABEL, namespace)),
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
        return AdminPolicies.resource(api, name(actionId), actionId, spec);
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
