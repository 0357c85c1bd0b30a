package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cluster-wide policy of the admin or baseline tier: an AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy or ClusterNetworkPolicy, read into one shape since they evaluate alike
 * (ordered rules, first match wins).
 *
 * @param ref names the policy
 * @param tier {@link Tier#ADMIN} or {@link Tier#BASELINE}
 * @param priority lower goes first within the tier (a BaselineAdminNetworkPolicy has none and goes
 *     last)
 * @param subject the pods it applies to
 * @param ingressRules ingress rules in order
 * @param egressRules egress rules in order
 */
record AdminPolicyModel(
        PolicyRef ref, Tier tier, int priority, Subject subject, List<Rule> ingressRules, List<Rule> egressRules) {

    AdminPolicyModel {
        Objects.requireNonNull(ref, "ref");
        if (tier != Tier.ADMIN && tier != Tier.BASELINE) {
            throw new IllegalArgumentException("cluster-wide policies live in the admin or baseline tier");
        }
        ingressRules = List.copyOf(ingressRules);
        egressRules = List.copyOf(egressRules);
    }

    /**
     * The pods in the selected namespaces that the pod selector selects.
     *
     * @param namespaces the namespaces
     * @param pods the pods within them
     */
    record Subject(Selector namespaces, Selector pods) {}

    /**
     * One rule.
     *
     * @param index its position, from 1
     * @param name its name, if it has one
     * @param action what it does with matching connections
     * @param peers the peers it matches (never empty: the API requires at least one)
     * @param ports the ports it matches; {@code null} means every port of every protocol
     */
    record Rule(
            int index,
            @Nullable String name,
            Action action,
            List<Peer> peers,
            @Nullable List<PortMatch> ports) {
        Rule {
            peers = List.copyOf(peers);
            ports = ports == null ? null : List.copyOf(ports);
        }
    }

    /** A {@code from}/{@code to} entry. */
    sealed interface Peer {}

    /**
     * Pods in namespaces ({@code namespaces} peers have {@code pods} = everything).
     *
     * @param namespaces the namespaces
     * @param pods the pods within them
     */
    record Pods(Selector namespaces, Selector pods) implements Peer {}

    /**
     * External addresses ({@code networks}).
     *
     * @param addresses the CIDRs
     */
    record Networks(IpSet addresses) implements Peer {}

    /**
     * Every peer: what a Deny or Pass rule with a peer this engine does not understand becomes ("fail
     * closed", as the API asks).
     */
    record Everything() implements Peer {}

    /**
     * A peer kind that the engine cannot resolve from manifests ({@code nodes}: node IPs; {@code
     * domainNames}: DNS): matches nothing, with a warning.
     *
     * @param what the field name
     */
    record Unresolved(String what) implements Peer {}
}
