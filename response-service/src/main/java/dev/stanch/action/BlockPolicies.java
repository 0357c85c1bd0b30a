package dev.stanch.action;

import dev.stanch.netpol.Direction;
import dev.stanch.netpol.Protocol;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlockBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpecBuilder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The NetworkPolicies that cut flows of one pod. NetworkPolicy can only allow, and what several
 * policies allow adds up, so each block's policy allows everything except what all the pod's blocks
 * in that direction cut together:
 *
 * <ol>
 *   <li>every external address except the blocked peers ({@code 0.0.0.0/0} and {@code ::/0} with
 *       {@code except}; pod peers are listed too, for network plugins whose ipBlocks match pod IPs);
 *   <li>every pod in every namespace except the blocked peer pods (each carries a label of its own
 *       for the block: {@code DoesNotExist});
 *   <li>for a block of one port (needs {@code endPort}): the peer itself on every other port and
 *       protocol.
 * </ol>
 *
 * Each block has a policy of its own (its own label on the pod, its own action id) so that it rolls
 * back alone; {@link Step.SyncBlockPolicies} keeps the rules of all of them equal.
 */
public final class BlockPolicies {

    private BlockPolicies() {}

    /** The name of a block's policy. */
    public static String name(String actionId) {
        return "stanch-block-" + actionId;
    }

    /** A block's policy: on the pod's label of its own, with the rules for every flow cut. */
    static NetworkPolicy policy(
            String namespace,
            String actionId,
            String podUid,
            Direction direction,
            BlockedFlow own,
            Collection<BlockedFlow> allFlows) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(StanchLabels.MANAGED_BY, StanchLabels.MANAGED_BY_VALUE);
        labels.put(StanchLabels.ACTION_ID, actionId);
        labels.put(StanchLabels.POD_UID, podUid);
        labels.put(StanchLabels.DIRECTION, direction.word());
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name(actionId))
                .withNamespace(namespace)
                .withLabels(labels)
                .withAnnotations(Map.of(StanchLabels.BLOCKED_FLOW, own.encode()))
                .endMetadata()
                .withSpec(spec(StanchLabels.blockLabel(actionId), direction, allFlows))
                .build();
    }

    /**
     * The flow a Stanch block policy cuts, read back from its annotation.
     *
     * @throws IllegalArgumentException when the annotation is missing or malformed
     */
    public static String blockedFlowOf(NetworkPolicy policy) {
        Map<String, String> annotations = policy.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(StanchLabels.BLOCKED_FLOW);
        if (value == null) {
            throw new IllegalArgumentException(
                    "policy " + policy.getMetadata().getName() + " lacks " + StanchLabels.BLOCKED_FLOW);
        }
        return BlockedFlow.decode(value).encode();
    }

    /**
     * The spec every block policy of one pod and direction must have, given the flows all of them
     * cut (read from their annotations): what {@link Step.SyncBlockPolicies} writes.
     */
    public static NetworkPolicySpec alignedSpec(NetworkPolicy policy, Collection<String> encodedFlows) {
        String direction = policy.getMetadata().getLabels().get(StanchLabels.DIRECTION);
        String selectorKey = policy.getSpec()
                .getPodSelector()
                .getMatchLabels()
                .keySet()
                .iterator()
                .next();
        List<BlockedFlow> flows = encodedFlows.stream().map(BlockedFlow::decode).toList();
        return spec(selectorKey, "ingress".equals(direction) ? Direction.INGRESS : Direction.EGRESS, flows);
    }

    static NetworkPolicySpec spec(String selectorKey, Direction direction, Collection<BlockedFlow> flows) {
        List<BlockedFlow> sorted = flows.stream()
                .distinct()
                .sorted(java.util.Comparator.comparing(BlockedFlow::encode))
                .toList();
        List<Rule> rules = rules(sorted);
        NetworkPolicySpecBuilder spec = new NetworkPolicySpecBuilder()
                .withPodSelector(new LabelSelectorBuilder()
                        .withMatchLabels(Map.of(selectorKey, "true"))
                        .build())
                .withPolicyTypes(direction == Direction.EGRESS ? "Egress" : "Ingress");
        for (Rule rule : rules) {
            if (direction == Direction.EGRESS) {
                spec.addToEgress(new NetworkPolicyEgressRuleBuilder()
                        .withTo(rule.peers)
                        .withPorts(rule.ports)
                        .build());
            } else {
                spec.addToIngress(new NetworkPolicyIngressRuleBuilder()
                        .withFrom(rule.peers)
                        .withPorts(rule.ports)
                        .build());
            }
        }
        return spec.build();
    }

    /**
     * One rule: these peers on these ports (no ports: all).
     *
     * @param peers the peers
     * @param ports the ports
     */
    private record Rule(List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {}

    private static List<Rule> rules(List<BlockedFlow> flows) {
        TreeSet<String> v4 = new TreeSet<>();
        TreeSet<String> v6 = new TreeSet<>();
        TreeSet<String> podLabels = new TreeSet<>();
        for (BlockedFlow flow : flows) {
            (flow.ipv6() ? v6 : v4).add(flow.cidr());
            if (flow.peerLabel() != null) {
                podLabels.add(flow.peerLabel());
            }
        }
        List<Rule> rules = new ArrayList<>();
        // 1 and 2: everything else, on every port.
        rules.add(new Rule(
                List.of(
                        ipBlock("0.0.0.0/0", v4),
                        ipBlock("::/0", v6),
                        new NetworkPolicyPeerBuilder()
                                .withNamespaceSelector(new LabelSelector())
                                .withPodSelector(podsWithout(podLabels))
                                .build()),
                List.of()));
        // 3: a peer cut on some ports only keeps the others.
        Map<String, List<BlockedFlow>> byPeer = new TreeMap<>();
        flows.forEach(flow ->
                byPeer.computeIfAbsent(flow.peerIp(), ip -> new ArrayList<>()).add(flow));
        byPeer.forEach((ip, peerFlows) -> {
            if (peerFlows.stream().anyMatch(BlockedFlow::wholeAddress)) {
                return;
            }
            BlockedFlow first = peerFlows.getFirst();
            NetworkPolicyPeer peer = first.peerLabel() == null
                    ? new NetworkPolicyPeerBuilder()
                            .withIpBlock(
                                    new IPBlockBuilder().withCidr(first.cidr()).build())
                            .build()
                    : new NetworkPolicyPeerBuilder()
                            .withNamespaceSelector(new LabelSelector())
                            .withPodSelector(new LabelSelectorBuilder()
                                    .withMatchExpressions(new LabelSelectorRequirementBuilder()
                                            .withKey(first.peerLabel())
                                            .withOperator("Exists")
                                            .build())
                                    .build())
                            .build();
            rules.add(new Rule(List.of(peer), otherPorts(peerFlows)));
        });
        return rules;
    }

    private static NetworkPolicyPeer ipBlock(String everything, TreeSet<String> except) {
        return new NetworkPolicyPeerBuilder()
                .withIpBlock(new IPBlockBuilder()
                        .withCidr(everything)
                        .withExcept(except.isEmpty() ? null : List.copyOf(except))
                        .build())
                .build();
    }

    private static LabelSelector podsWithout(TreeSet<String> labels) {
        LabelSelectorBuilder selector = new LabelSelectorBuilder();
        labels.forEach(key -> selector.addToMatchExpressions(new LabelSelectorRequirementBuilder()
                .withKey(key)
                .withOperator("DoesNotExist")
                .build()));
        return selector.build();
    }

    /** Every port of every protocol but the blocked ones, as port ranges ({@code endPort}). */
    private static List<NetworkPolicyPort> otherPorts(List<BlockedFlow> flows) {
        List<NetworkPolicyPort> ports = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            TreeSet<Integer> blocked = new TreeSet<>();
            flows.stream()
                    .filter(flow -> flow.protocol() == protocol)
                    .forEach(flow -> blocked.add(Objects.requireNonNull(flow.port())));
            if (blocked.isEmpty()) {
                ports.add(new NetworkPolicyPortBuilder()
                        .withProtocol(protocol.name())
                        .build());
                continue;
            }
            int from = 1;
            for (int port : blocked) {
                if (port > from) {
                    ports.add(range(protocol, from, port - 1));
                }
                from = port + 1;
            }
            if (from <= 65535) {
                ports.add(range(protocol, from, 65535));
            }
        }
        return ports;
    }

    private static NetworkPolicyPort range(Protocol protocol, int from, int to) {
        NetworkPolicyPortBuilder port =
                new NetworkPolicyPortBuilder().withProtocol(protocol.name()).withNewPort(from);
        if (to > from) {
            port.withEndPort(to);
        }
        return port.build();
    }
}
