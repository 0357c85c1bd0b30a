package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@code networking.k8s.io/v1} NetworkPolicy, validated and with the API defaults applied.
 *
 * @param ref names the policy
 * @param namespace the policy's namespace; it selects pods only there
 * @param podSelector the pods the policy applies to
 * @param ingress whether it isolates the selected pods for ingress
 * @param egress whether it isolates them for egress
 * @param ingressRules allow rules for ingress, in order
 * @param egressRules allow rules for egress, in order
 */
record NetworkPolicyModel(
        PolicyRef ref,
        String namespace,
        Selector podSelector,
        boolean ingress,
        boolean egress,
        List<Rule> ingressRules,
        List<Rule> egressRules) {

    NetworkPolicyModel {
        Objects.requireNonNull(ref, "ref");
        ingressRules = List.copyOf(ingressRules);
        egressRules = List.copyOf(egressRules);
    }

    /**
     * One allow rule.
     *
     * @param index its position, from 1
     * @param peers the peers it allows; empty means every peer, inside or outside the cluster
     * @param ports the ports it allows; empty means every port of every protocol
     */
    record Rule(int index, List<Peer> peers, List<PortMatch> ports) {
        Rule {
            peers = List.copyOf(peers);
            ports = List.copyOf(ports);
        }
    }

    /** A {@code from}/{@code to} entry. */
    sealed interface Peer {}

    /**
     * Pods chosen by selectors.
     *
     * @param namespaces the namespaces; {@code null} means the policy's own namespace
     * @param pods the pods in them; {@code null} means all of them
     */
    record Pods(@Nullable Selector namespaces, @Nullable Selector pods) implements Peer {}

    /**
     * An ipBlock: external addresses, {@code cidr} minus {@code except}.
     *
     * @param addresses the addresses
     */
    record Block(IpSet addresses) implements Peer {}
}
