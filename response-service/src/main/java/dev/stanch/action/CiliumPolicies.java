package dev.stanch.action;

import dev.stanch.netpol.Direction;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The CiliumNetworkPolicy Stanch creates where a NetworkPolicy cannot cut a flow and the cluster has
 * no admin-tier policy API that can (Cilium implements neither AdminNetworkPolicy nor
 * ClusterNetworkPolicy): one {@code egressDeny} or {@code ingressDeny} rule, which Cilium lets win
 * over every allow of every policy.
 *
 * <p>Cilium puts the pods a policy selects into default deny for every direction the policy has
 * rules for — deny rules included — which would cut all their other traffic in that direction. So
 * the policy turns that off for both directions with {@code enableDefaultDeny}, a field of Cilium
 * 1.16+; an older Cilium's schema lacks it and the API server would drop it, so the planner refuses
 * there ({@link ServerInfo#ciliumDeclaresEnableDefaultDeny()}).
 */
final class CiliumPolicies {

    static final String API_VERSION = "cilium.io/v2";

    static final String KIND = "CiliumNetworkPolicy";

    /** Cilium's label for a pod's namespace, in the form Cilium itself writes into policies. */
    private static final String NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";

    private CiliumPolicies() {}

    /**
     * Denies one flow of the pod that carries the block's label: to or from the peer's address, or —
     * when the peer is a pod — the pod with the peer label in its namespace (Cilium's CIDR rules match
     * addresses outside the cluster only); with a port, only that port.
     */
    static GenericKubernetesResource block(
            String namespace, String actionId, Direction direction, BlockedFlow flow, @Nullable Pod peer) {
        boolean egress = direction == Direction.EGRESS;
        Map<String, Object> rule = new LinkedHashMap<>();
        if (peer == null) {
            rule.put(egress ? "toCIDR" : "fromCIDR", List.of(flow.cidr()));
        } else {
            Map<String, String> peerLabels = new LinkedHashMap<>();
            peerLabels.put(StanchLabels.peerLabel(actionId), "true");
            peerLabels.put(NAMESPACE_LABEL, peer.getMetadata().getNamespace());
            rule.put(egress ? "toEndpoints" : "fromEndpoints", List.of(Map.of("matchLabels", peerLabels)));
        }
        if (!flow.wholeAddress()) {
            Map<String, Object> port = new LinkedHashMap<>();
            port.put("port", String.valueOf(flow.port()));
            port.put("protocol", Objects.requireNonNull(flow.protocol()).name());
            rule.put("toPorts", List.of(Map.of("ports", List.of(port))));
        }
        Map<String, Object> defaultDeny = new LinkedHashMap<>();
        defaultDeny.put("egress", false);
        defaultDeny.put("ingress", false);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("endpointSelector", Map.of("matchLabels", Map.of(StanchLabels.blockLabel(actionId), "true")));
        spec.put("enableDefaultDeny", defaultDeny);
        spec.put(egress ? "egressDeny" : "ingressDeny", List.of(rule));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION)
                .withKind(KIND)
                .withNewMetadata()
                .withName(BlockPolicies.name(actionId))
                .withNamespace(namespace)
                .withLabels(QuarantinePolicies.ownLabels(actionId))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
