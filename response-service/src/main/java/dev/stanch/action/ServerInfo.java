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
 */
public record ServerInfo(int major, int minor, Set<String> resources) {

    public static final String ADMIN_NETWORK_POLICY = "policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy";

    /** The successor of AdminNetworkPolicy in network-policy-api (v1alpha2): one kind for both tiers. */
    public static final String CLUSTER_NETWORK_POLICY = "policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy";

    public ServerInfo {
        resources = Set.copyOf(resources);
    }

    public static ServerInfo of(int major, int minor, String... resources) {
        return new ServerInfo(major, minor, Set.of(resources));
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

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
