package dev.stanch.netpol;

/**
 * Where a decision was made. Tiers are evaluated in this order: Cilium's deny rules, admin
 * (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin), NetworkPolicy, baseline
 * (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline), then the Kubernetes default,
 * which allows.
 */
public enum Tier {
    /**
     * The {@code egressDeny}/{@code ingressDeny} rules of CiliumNetworkPolicy and
     * CiliumClusterwideNetworkPolicy: Cilium lets a deny win over every allow, whatever the policy.
     */
    CILIUM_DENY,
    /** AdminNetworkPolicy or ClusterNetworkPolicy in the Admin tier: first matching rule wins. */
    ADMIN,
    /** NetworkPolicy: a pod selected for a direction is isolated and gets the union of the rules. */
    NETWORK_POLICY,
    /** BaselineAdminNetworkPolicy or ClusterNetworkPolicy in the Baseline tier. */
    BASELINE,
    /** No policy decided: Kubernetes allows. */
    DEFAULT,
    /** A pod's traffic to itself, which no policy can block. */
    SAME_POD,
    /** This side of the connection is outside the cluster, where no policy applies. */
    EXTERNAL
}
