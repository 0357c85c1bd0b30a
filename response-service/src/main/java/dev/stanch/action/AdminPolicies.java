package dev.stanch.action;

import dev.stanch.netpol.Direction;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * AdminNetworkPolicies (policy.networking.k8s.io/v1alpha1) that Stanch creates where a
 * NetworkPolicy cannot do the job: they are evaluated before every NetworkPolicy and can {@code
 * Deny}, so what other policies allow does not add back in.
 */
final class AdminPolicies {

    static final String API_VERSION = "policy.networking.k8s.io/v1alpha1";
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private AdminPolicies() {}

    /** Denies one flow of the pod that carries the block's label. */
    static GenericKubernetesResource block(
            String namespace,
            String actionId,
            Direction direction,
            BlockedFlow flow,
            int priority,
            @Nullable Pod peer) {
        Map<String, Object> peerSelector;
        if (peer == null) {
            peerSelector = Map.of("networks", List.of(flow.cidr()));
        } else {
            peerSelector = Map.of(
                    "pods",
                    Map.of(
                            "namespaceSelector",
                            Map.of(
                                    "matchLabels",
                                    Map.of(
                                            NAMESPACE_NAME_LABEL,
                                            peer.getMetadata().getNamespace())),
                            "podSelector",
                            Map.of("matchLabels", Map.of(StanchLabels.peerLabel(actionId), "true"))));
        }
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("name", "stanch-" + actionId);
        rule.put("action", "Deny");
        rule.put(direction == Direction.EGRESS ? "to" : "from", List.of(peerSelector));
        if (!flow.wholeAddress()) {
            rule.put("ports", List.of(Map.of("portNumber", portNumber(flow))));
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("priority", priority);
        spec.put("subject", subject(namespace, Map.of(StanchLabels.blockLabel(actionId), "true")));
        spec.put(direction == Direction.EGRESS ? "egress" : "ingress", List.of(rule));
        return resource(BlockPolicies.name(actionId), actionId, spec);
    }

    private static Map<String, Object> portNumber(BlockedFlow flow) {
        Map<String, Object> port = new LinkedHashMap<>();
        port.put("protocol", java.util.Objects.requireNonNull(flow.protocol()).name());
        port.put("port", flow.port());
        return port;
    }

    static Map<String, Object> subject(String namespace, Map<String, String> podLabels) {
        return Map.of(
                "pods",
                Map.of(
                        "namespaceSelector", Map.of("matchLabels", Map.of(NAMESPACE_NAME_LABEL, namespace)),
                        "podSelector", Map.of("matchLabels", podLabels)));
    }

    static GenericKubernetesResource resource(String name, String actionId, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION)
                .withKind("AdminNetworkPolicy")
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of(
                        StanchLabels.MANAGED_BY, StanchLabels.MANAGED_BY_VALUE, StanchLabels.ACTION_ID, actionId))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
