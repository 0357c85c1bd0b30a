package dev.stanch.action;

import dev.stanch.netpol.Direction;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * Admin-tier policies that Stanch creates where a NetworkPolicy cannot do the job: they are
 * evaluated before every NetworkPolicy and can {@code Deny}, so what other policies allow does not
 * add back in. ClusterNetworkPolicy (network-policy-api v1alpha2, tier {@code Admin}) where the
 * cluster has it, else AdminNetworkPolicy (v1alpha1): the same shape, but for the name of the kind,
 * the tier field and the syntax of ports.
 */
final class AdminPolicies {

    /** The label the API server sets on every namespace from 1.21 on; older servers leave it out. */
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private AdminPolicies() {}

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

        /**
         * The newest the server has and something enforces, if any. Where the cluster serves
         * Cilium's CRDs, Cilium is the network plugin: it implements no AdminNetworkPolicy, and
         * ClusterNetworkPolicy only from 1.20 where enabled, which the API does not tell — so none.
         */
        static java.util.Optional<Api> of(ServerInfo server) {
            if (server.hasCiliumNetworkPolicy()) {
                return java.util.Optional.empty();
            }
            if (server.hasClusterNetworkPolicy()) {
                return java.util.Optional.of(CLUSTER_NETWORK_POLICY);
            }
            return server.hasAdminNetworkPolicy()
                    ? java.util.Optional.of(ADMIN_NETWORK_POLICY)
                    : java.util.Optional.empty();
        }
    }

    /** Denies one flow of the pod that carries the block's label. */
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

    /**
     * The priority of the admin policy and what it ties with.
     *
     * @param value numerically below every existing admin-tier policy (lower goes first), 0 at least
     * @param tiedWith the other policies at priority 0 when the value is 0 too: the API leaves the
     *     order of equal priorities undefined (Stanch's own policies, which only deny, are left out)
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
                .mapToInt(AdminPolicies::adminTierPriority)
                .filter(priority -> priority >= 0)
                .min();
        int value = lowest.isPresent() ? Math.max(0, lowest.getAsInt() - 1) : 0;
        List<String> tied = new ArrayList<>();
        if (value == 0) {
            for (GenericKubernetesResource policy : adminPolicies) {
                if (adminTierPriority(policy) == 0 && !isOwnDeny(policy)) {
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
            case "AdminNetworkPolicy" -> Api.ADMIN_NETWORK_POLICY.apiVersion.equals(policy.getApiVersion());
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

    /** Stanch's own admin policies only deny: a tie with one of them cannot let anything through. */
    private static boolean isOwnDeny(GenericKubernetesResource policy) {
        return policy.getMetadata().getLabels() != null
                && StanchLabels.MANAGED_BY_VALUE.equals(
                        policy.getMetadata().getLabels().get(StanchLabels.MANAGED_BY));
    }

    /**
     * An admin policy selects the pod's namespace by its name label; a namespace without it (servers
     * before 1.21) would not be selected, although the engine, which adds the label to every
     * namespace, would say it is.
     */
    static boolean hasNameLabel(ClusterSnapshot cluster, String namespace) {
        return cluster.namespace(namespace)
                .map(object -> object.getMetadata().getLabels() != null
                        && namespace.equals(object.getMetadata().getLabels().get(NAMESPACE_NAME_LABEL)))
                .orElse(false);
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
                .withLabels(QuarantinePolicies.ownLabels(actionId))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
