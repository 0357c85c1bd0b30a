package dev.stanch.netpol;

/**
 * What a rule does with the connections it matches. NetworkPolicy rules only allow;
 * AdminNetworkPolicy and ClusterNetworkPolicy rules (first match wins) allow (ClusterNetworkPolicy
 * calls it Accept), deny, or pass the decision to the next tier; the Cilium rules the engine reads
 * ({@code egressDeny}, {@code ingressDeny}) only deny.
 */
public enum Action {
    ALLOW,
    DENY,
    PASS
}
