package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A policy of a tier that is evaluated rule by rule rather than as a union: an AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy or ClusterNetworkPolicy (admin or baseline tier, first match wins), or
 * the deny rules of one rule set of a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy (Cilium
 * deny tier, every rule denies), read into one shape since they evaluate alike.
 *
 * @param ref names the policy
 * @param tier {@link Tier#CILIUM_DENY}, {@link Tier#ADMIN} or {@link Tier#BASELINE}
 * @param priority lower goes first within the tier (a BaselineAdminNetworkPolicy has none and goes
 *     last; Cilium deny rules have no order, since all of them deny)
 * @param subject the pods it applies to
 * @param ingressRules ingress rules in order
 * @param egressRules egress rules in order
 * @param unmodelled the directions in which the policy does more to the pods it selects than its
 *     rules here say — a Cilium rule set's allow rules and default-deny mode —, so that the engine's
 *     answer for those pods is incomplete there; empty for the network-policy-api kinds
 */
record TieredPolicyModel(
        PolicyRef ref,
        Tier tier,
        int priority,
        Subject subject,
        List<Rule> ingressRules,
        List<Rule> egressRules,
        Set<Direction> unmodelled) {

    TieredPolicyModel {
        Objects.requireNonNull(ref, "ref");
        if (tier != Tier.CILIUM_DENY && tier != Tier.ADMIN && tier != Tier.BASELINE) {
            throw new IllegalArgumentException("rule-ordered policies live in the Cilium deny, admin or baseline tier");
        }
        ingressRules = List.copyOf(ingressRules);
        egressRules = List.copyOf(egressRules);
        unmodelled = Set.copyOf(unmodelled);
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
     * @param name its name, if it has one (for a Cilium rule set of {@code specs}, its place there)
     * @param action what it does with matching connections
     * @param peers the peers it matches (never empty: the API requires at least one; a Cilium rule
     *     that names no peer but ports matches {@link Everything})
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
     * closed", as the API asks); Cilium's entity {@code all} and a Cilium rule with ports but no peer.
     */
    record Everything() implements Peer {}

    /**
     * A peer kind that the engine cannot resolve from manifests ({@code nodes}: node IPs; {@code
     * domainNames}: DNS; Cilium's services, groups, CIDR groups and entities other than pods and the
     * world): matches nothing, with a warning.
     *
     * @param what the field name
     */
    record Unresolved(String what) implements Peer {}
}
