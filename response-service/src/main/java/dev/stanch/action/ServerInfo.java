package dev.stanch.action;

import java.util.Set;

/**
 * What the API server is and serves, found by discovery: the planners choose what to generate from
 * it (endPort, the legacy-token label, a deny-capable policy API).
 *
 * @param major the server's major version
 * @param minor the server's minor version (a trailing {@code +} of managed offerings dropped)
 * @param resources the served resources as {@code group/version/Kind}, e.g. {@code
 *     policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy}; the core group as {@code v1/Pod}
 * @param schemaFields fields of custom resources that the installed CRD's schema declares and a
 *     planner depends on, as {@code group/version/Kind:path}, e.g. {@link #CILIUM_ENABLE_DEFAULT_DENY}
 *     (the API server prunes a field its schema does not declare)
 */
public record ServerInfo(int major, int minor, Set<String> resources, Set<String> schemaFields) {

    public static final String ADMIN_NETWORK_POLICY = "policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy";

    /** The successor of AdminNetworkPolicy in network-policy-api (v1alpha2): one kind for both tiers. */
    public static final String CLUSTER_NETWORK_POLICY = "policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy";

    /** Cilium's namespaced policy, whose {@code egressDeny}/{@code ingressDeny} rules win over any allow. */
    public static final String CILIUM_NETWORK_POLICY = "cilium.io/v2/CiliumNetworkPolicy";

    /** Cilium's cluster-wide policy: its deny rules count too. */
    public static final String CILIUM_CLUSTERWIDE_NETWORK_POLICY = "cilium.io/v2/CiliumClusterwideNetworkPolicy";

    /**
     * The field (Cilium 1.16+) that keeps a CiliumNetworkPolicy from putting the pods it selects into
     * default deny. Without it a policy of deny rules alone would cut all their other traffic.
     */
    public static final String CILIUM_ENABLE_DEFAULT_DENY = CILIUM_NETWORK_POLICY + ":spec.enableDefaultDeny";

    public ServerInfo {
        resources = Set.copyOf(resources);
        schemaFields = Set.copyOf(schemaFields);
    }

    public static ServerInfo of(int major, int minor, String... resources) {
        return new ServerInfo(major, minor, Set.of(resources), Set.of());
    }

    private boolean atLeast(int wantMajor, int wantMinor) {
        return major > wantMajor || (major == wantMajor && minor >= wantMinor);
    }

    /** NetworkPolicy port ranges ({@code endPort}) are on by default from 1.25 (beta in 1.22). */
    public boolean supportsEndPort() {
        return atLeast(1, 25);
    }

    /** The token authenticator honours {@code kubernetes.io/legacy-token-invalid-since} from 1.29. */
    public boolean honoursLegacyTokenInvalidLabel() {
        return atLeast(1, 29);
    }

    /** AdminNetworkPolicy (network-policy-api v1alpha1), which can deny, is installed. */
    public boolean hasAdminNetworkPolicy() {
        return resources.contains(ADMIN_NETWORK_POLICY);
    }

    /** ClusterNetworkPolicy (network-policy-api v1alpha2), which can deny, is installed. */
    public boolean hasClusterNetworkPolicy() {
        return resources.contains(CLUSTER_NETWORK_POLICY);
    }

    /** CiliumNetworkPolicy, which can deny, is installed. */
    public boolean hasCiliumNetworkPolicy() {
        return resources.contains(CILIUM_NETWORK_POLICY);
    }

    /** CiliumClusterwideNetworkPolicy is installed: its deny rules decide flows too. */
    public boolean hasCiliumClusterwideNetworkPolicy() {
        return resources.contains(CILIUM_CLUSTERWIDE_NETWORK_POLICY);
    }

    /** The installed CiliumNetworkPolicy schema declares {@code enableDefaultDeny} (Cilium 1.16+). */
    public boolean ciliumDeclaresEnableDefaultDeny() {
        return schemaFields.contains(CILIUM_ENABLE_DEFAULT_DENY);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
