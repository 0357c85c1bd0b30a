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
 * Admin-tier policies that Stanch creates where a NetworkPolicy cannot do the job: they are
 * evaluated before every NetworkPolicy and can {@code Deny}, so what other policies allow does not
 * add back in. ClusterNetworkPolicy (network-policy-api v1alpha2, tier {@code Admin}) where the
 * cluster has it, else AdminNetworkPolicy (v1alpha1): the same shape, but for the name of the kind,
 * the tier field and the syntax of ports.
 */
final class AdminPolicies {
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private AdminPolicies() {}

    /** Denies one flow of the pod that carries the block's label. */
    /** The deny-capable kinds, newest first. */
    enum Api {
        CLUSTER_NETWORK_POLICY("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy"),
        ADMIN_NETWORK_POLICY("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy");

        final String apiVersion;
        final String kind;

        Api(String apiVersion, String kind) {
            this.apiVersion = apiVersion;
            this.kind = kind;
        }

        /** The newest the server has, if any. */
        static java.util.Optional<Api> of(ServerInfo server) {
            if (server.hasClusterNetworkPolicy()) {
                return java.util.Optional.of(CLUSTER_NETWORK_POLICY);
            }
            return server.hasAdminNetworkPolicy()
                    ? java.util.Optional.of(ADMIN_NETWORK_POLICY)
                    : java.util.Optional.empty();
        }

        /** True for an admin-tier policy of this kind (a ClusterNetworkPolicy may be of the baseline tier). */
        boolean isAdminTier(GenericKubernetesResource policy) {
            if (!kind.equals(policy.getKind())) {
                return false;
            }
            return this == ADMIN_NETWORK_POLICY
                    || (policy.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
                            && "Admin".equals(spec.get("tier")));
        }
    }

    static GenericKubernetesResource block(
            Api api,
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
            rule.put(
                    api == Api.ADMIN_NETWORK_POLICY ? "ports" : "protocols",
                    List.of(api == Api.ADMIN_NETWORK_POLICY ? Map.of("portNumber", portNumber(flow)) : protocol(flow)));
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        if (api == Api.CLUSTER_NETWORK_POLICY) {
            spec.put("tier", "Admin");
        }
        spec.put("priority", priority);
        spec.put("subject", subject(namespace, Map.of(StanchLabels.blockLabel(actionId), "true")));
        spec.put(direction == Direction.EGRESS ? "egress" : "ingress", List.of(rule));
        return resource(api, BlockPolicies.name(actionId), actionId, spec);
    }

    /** ClusterNetworkPolicy's port syntax: {@code {tcp: {destinationPort: {number: 443}}}}. */
    private static Map<String, Object> protocol(BlockedFlow flow) {
        String protocol =
                java.util.Objects.requireNonNull(flow.protocol()).name().toLowerCase(java.util.Locale.ROOT);
        return Map.of(protocol, Map.of("destinationPort", Map.of("number", flow.port())));
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

    static GenericKubernetesResource resource(Api api, String name, String actionId, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(api.apiVersion)
                .withKind(api.kind)
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of(
                        StanchLabels.MANAGED_BY, StanchLabels.MANAGED_BY_VALUE, StanchLabels.ACTION_ID, actionId))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
