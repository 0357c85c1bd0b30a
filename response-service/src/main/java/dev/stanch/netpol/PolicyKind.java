package dev.stanch.netpol;

/** The policy APIs the engine evaluates. */
public enum PolicyKind {
    /** {@code networking.k8s.io/v1}, namespaced, allow-only, the middle tier. */
    NETWORK_POLICY("NetworkPolicy"),
    /** {@code policy.networking.k8s.io/v1alpha1}, cluster-wide, the admin tier. */
    ADMIN_NETWORK_POLICY("AdminNetworkPolicy"),
    /** {@code policy.networking.k8s.io/v1alpha1}, cluster-wide, the baseline tier. */
    BASELINE_ADMIN_NETWORK_POLICY("BaselineAdminNetworkPolicy"),
    /** {@code policy.networking.k8s.io/v1alpha2} (and v1beta1), admin or baseline tier. */
    CLUSTER_NETWORK_POLICY("ClusterNetworkPolicy"),
    /** {@code cilium.io/v2}, namespaced; only its deny rules are evaluated. */
    CILIUM_NETWORK_POLICY("CiliumNetworkPolicy"),
    /** {@code cilium.io/v2}, cluster-wide; only its deny rules are evaluated. */
    CILIUM_CLUSTERWIDE_NETWORK_POLICY("CiliumClusterwideNetworkPolicy");

    private final String kind;

    PolicyKind(String kind) {
        this.kind = kind;
    }

    /** The Kubernetes {@code kind}. */
    public String kind() {
        return kind;
    }
}
