package dev.stanch.action;

import dev.stanch.netpol.ClusterState;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The objects a plan is computed from, read from the cluster at one moment (or built by hand in a
 * test). Planners are pure functions of a snapshot: the same snapshot always gives the same plan.
 *
 * @param server the API server's version and resources
 * @param namespaces every namespace (policies select namespaces by label)
 * @param pods every pod (policies select peers anywhere)
 * @param networkPolicies every NetworkPolicy
 * @param adminPolicies AdminNetworkPolicies and their kin, where the cluster has them
 * @param ciliumPolicies CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies, where the
 *     cluster has them (the policy engine evaluates their deny rules)
 * @param workloads the controllers that own pods of the target's namespace (ReplicaSets,
 *     StatefulSets, DaemonSets, Jobs, ReplicationControllers)
 * @param services the Services of the target's namespace
 * @param serviceAccounts the ServiceAccounts of the target's namespace
 * @param roleBindings every RoleBinding (one in any namespace may name the account)
 * @param clusterRoleBindings every ClusterRoleBinding
 * @param tokenSecrets the legacy token Secrets ({@code kubernetes.io/service-account-token}) of the
 *     target's namespace, metadata only: Stanch never reads a token
 */
public record ClusterSnapshot(
        ServerInfo server,
        List<Namespace> namespaces,
        List<Pod> pods,
        List<NetworkPolicy> networkPolicies,
        List<GenericKubernetesResource> adminPolicies,
        List<GenericKubernetesResource> ciliumPolicies,
        List<HasMetadata> workloads,
        List<Service> services,
        List<ServiceAccount> serviceAccounts,
        List<RoleBinding> roleBindings,
        List<ClusterRoleBinding> clusterRoleBindings,
        List<Secret> tokenSecrets) {

    public ClusterSnapshot {
        Objects.requireNonNull(server, "server");
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        networkPolicies = List.copyOf(networkPolicies);
        adminPolicies = List.copyOf(adminPolicies);
        ciliumPolicies = List.copyOf(ciliumPolicies);
        workloads = List.copyOf(workloads);
        services = List.copyOf(services);
        serviceAccounts = List.copyOf(serviceAccounts);
        roleBindings = List.copyOf(roleBindings);
        clusterRoleBindings = List.copyOf(clusterRoleBindings);
        tokenSecrets = List.copyOf(tokenSecrets);
    }

    /** An empty cluster on this server, to add objects to in tests. */
    public static ClusterSnapshot empty(ServerInfo server) {
        return new ClusterSnapshot(
                server, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of());
    }

    /** This snapshot with other pods (an action's labels applied, say). */
    ClusterSnapshot withPods(List<Pod> otherPods) {
        return new ClusterSnapshot(
                server,
                namespaces,
                otherPods,
                networkPolicies,
                adminPolicies,
                ciliumPolicies,
                workloads,
                services,
                serviceAccounts,
                roleBindings,
                clusterRoleBindings,
                tokenSecrets);
    }

    /** This snapshot with other NetworkPolicies. */
    ClusterSnapshot withNetworkPolicies(List<NetworkPolicy> otherPolicies) {
        return new ClusterSnapshot(
                server,
                namespaces,
                pods,
                otherPolicies,
                adminPolicies,
                ciliumPolicies,
                workloads,
                services,
                serviceAccounts,
                roleBindings,
                clusterRoleBindings,
                tokenSecrets);
    }

    /** This snapshot with other admin-tier policies. */
    ClusterSnapshot withAdminPolicies(List<GenericKubernetesResource> otherPolicies) {
        return new ClusterSnapshot(
                server,
                namespaces,
                pods,
                networkPolicies,
                otherPolicies,
                ciliumPolicies,
                workloads,
                services,
                serviceAccounts,
                roleBindings,
                clusterRoleBindings,
                tokenSecrets);
    }

    /** This snapshot with other Cilium policies. */
    ClusterSnapshot withCiliumPolicies(List<GenericKubernetesResource> otherPolicies) {
        return new ClusterSnapshot(
                server,
                namespaces,
                pods,
                networkPolicies,
                adminPolicies,
                otherPolicies,
                workloads,
                services,
                serviceAccounts,
                roleBindings,
                clusterRoleBindings,
                tokenSecrets);
    }

    public Optional<Pod> pod(String namespace, String name) {
        return find(pods, namespace, name);
    }

    public Optional<Namespace> namespace(String name) {
        return namespaces.stream()
                .filter(n -> name.equals(n.getMetadata().getName()))
                .findFirst();
    }

    public Optional<ServiceAccount> serviceAccount(String namespace, String name) {
        return find(serviceAccounts, namespace, name);
    }

    /**
     * The live pods that have this address: not on the host's network (those share the node's
     * address), not finished, not being deleted — an address is reused as soon as its pod is gone, so
     * a terminating or finished pod may still show an address that now belongs to another.
     */
    public List<Pod> podsWithIp(String ip) {
        // A plain loop that checks the address first: this runs over every pod for each plan.
        List<Pod> found = List.of();
        for (Pod pod : pods) {
            PodStatus status = pod.getStatus();
            if (status == null || !hasIp(status, ip)) {
                continue;
            }
            if ((pod.getSpec() == null || !Boolean.TRUE.equals(pod.getSpec().getHostNetwork()))
                    && pod.getMetadata().getDeletionTimestamp() == null
                    && !"Succeeded".equals(status.getPhase())
                    && !"Failed".equals(status.getPhase())) {
                if (found.isEmpty()) {
                    found = new ArrayList<>(1);
                }
                found.add(pod);
            }
        }
        return found.isEmpty() ? List.of() : List.copyOf(found);
    }

    private static boolean hasIp(PodStatus status, String ip) {
        if (ip.equals(status.getPodIP())) {
            return true;
        }
        if (status.getPodIPs() != null) {
            for (PodIP address : status.getPodIPs()) {
                if (ip.equals(address.getIp())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The policy engine's view: namespaces, pods and the policies of every tier. */
    public ClusterState networkState() {
        return ClusterState.of(networkObjects());
    }

    /**
     * As {@link #networkState()}, taking over what {@code previous} read from the objects this
     * snapshot shares with it (the same instances): a plan's "after" differs from its "before" in a
     * pod or two and a policy, and reading the rest again was most of a plan's cost.
     */
    ClusterState networkState(ClusterState previous) {
        return ClusterState.builder().reusing(previous).addAll(networkObjects()).build();
    }

    private List<HasMetadata> networkObjects() {
        List<HasMetadata> objects = new ArrayList<>(namespaces.size()
                + pods.size()
                + networkPolicies.size()
                + adminPolicies.size()
                + ciliumPolicies.size());
        objects.addAll(namespaces);
        objects.addAll(pods);
        objects.addAll(networkPolicies);
        objects.addAll(adminPolicies);
        objects.addAll(ciliumPolicies);
        return objects;
    }

    private static <T extends HasMetadata> Optional<T> find(List<T> objects, String namespace, String name) {
        return objects.stream()
                .filter(o -> namespace.equals(o.getMetadata().getNamespace())
                        && name.equals(o.getMetadata().getName()))
                .findFirst();
    }
}
