package dev.stanch.action;

import java.util.List;

/**
 * What reading a {@link ClusterSnapshot} needs: the RBAC of the cluster reader, declared here. Every
 * kind the service's cluster cache holds is listed once and then watched ({@code list,watch}); token
 * Secrets are never cached (they carry tokens) and are listed per read, in the target's namespace.
 */
public final class ClusterRead {

    private ClusterRead() {}

    public static final List<RbacRule> RBAC = List.of(
            RbacRule.of("", "namespaces", "list,watch", "namespace labels: policies select namespaces by label"),
            RbacRule.of("", "pods", "list,watch", "the target, its peers, and every pod a policy may select"),
            RbacRule.of("networking.k8s.io", "networkpolicies", "list,watch", "the policies that decide a flow today"),
            RbacRule.of("", "services", "list,watch", "the Services that select a pod to quarantine"),
            RbacRule.of("", "serviceaccounts", "list,watch", "the target pod's service account"),
            RbacRule.of("", "secrets", "list", "the account's legacy token Secrets (metadata only is used)"),
            RbacRule.of("rbac.authorization.k8s.io", "rolebindings", "list,watch", "bindings that name the account"),
            RbacRule.of(
                    "rbac.authorization.k8s.io", "clusterrolebindings", "list,watch", "bindings that name the account"),
            RbacRule.of("apps", "replicasets", "list,watch", "a pod's owner: selector and ready replicas"),
            RbacRule.of("apps", "statefulsets", "list,watch", "a pod's owner: selector and ready replicas"),
            RbacRule.of("apps", "daemonsets", "list,watch", "a pod's owner: selector and ready replicas"),
            RbacRule.of("", "replicationcontrollers", "list,watch", "a pod's owner: selector and ready replicas"),
            RbacRule.of("batch", "jobs", "list,watch", "a pod's owner: selector"),
            RbacRule.of(
                    "policy.networking.k8s.io",
                    "adminnetworkpolicies",
                    "list,watch",
                    "admin-tier policies decide before NetworkPolicies, where the cluster has them"),
            RbacRule.of(
                    "policy.networking.k8s.io",
                    "clusternetworkpolicies",
                    "list,watch",
                    "admin- and baseline-tier policies, where the cluster has them"),
            RbacRule.of(
                    "policy.networking.k8s.io",
                    "baselineadminnetworkpolicies",
                    "list,watch",
                    "baseline-tier policies decide after NetworkPolicies, where the cluster has them"),
            RbacRule.of(
                    "cilium.io",
                    "ciliumnetworkpolicies",
                    "list,watch",
                    "Cilium's deny rules decide before every other policy, where the cluster has Cilium"),
            RbacRule.of(
                    "cilium.io",
                    "ciliumclusterwidenetworkpolicies",
                    "list,watch",
                    "Cilium's cluster-wide deny rules decide before every other policy, where the cluster has"
                            + " Cilium"),
            RbacRule.of(
                    "apiextensions.k8s.io",
                    "customresourcedefinitions",
                    "get",
                    "whether the CRD schema of ciliumnetworkpolicies.cilium.io declares enableDefaultDeny"
                            + " (Cilium 1.16+), without which a deny rule would cut the pod's other traffic"));
}
