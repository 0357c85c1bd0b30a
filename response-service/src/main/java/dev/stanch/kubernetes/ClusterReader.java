package dev.stanch.kubernetes;

import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.ServerInfo;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@link ClusterSnapshot} a plan is computed from: the whole network picture (namespaces,
 * pods, policies of every tier) and, in the target's namespace, what owns, serves and authorizes
 * its pods. Needs exactly {@link dev.stanch.action.ClusterRead#RBAC}.
 *
 * <p>Two modes. With a {@link ClusterCache} (the service), a snapshot is built from the informers'
 * stores, the server's version and discovery are remembered for {@link #SERVER_TTL}, and only the
 * token Secrets of the target's namespace are listed per read (they are never cached): that one
 * call also keeps an API server outage visible to the intake at once, as before. Reads fail
 * transiently while the cache has not synced or its watches are down. Without a cache (tests, the
 * CLI) every read lists everything from the API server.
 */
public final class ClusterReader {

    /** How long the server's version and discovery are trusted in the cached mode: they rarely change. */
    public static final Duration SERVER_TTL = Duration.ofSeconds(60);

    private static final String TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token";

    private static final String CILIUM_NETWORK_POLICY_CRD = "ciliumnetworkpolicies.cilium.io";

    private final KubernetesClient client;
    private final @Nullable ClusterCache cache;
    private volatile @Nullable Discovered discovered;

    private record Discovered(ServerInfo server, long atNanos) {}

    /** A reader that lists everything from the API server on each read. */
    public ClusterReader(KubernetesClient client) {
        this(client, null);
    }

    /** A reader that builds snapshots from the cache when it has one. */
    public ClusterReader(KubernetesClient client, @Nullable ClusterCache cache) {
        this.client = client;
        this.cache = cache;
    }

    /**
     * The server's version and whether it serves the deny-capable policy APIs; in the cached mode as
     * discovered at most {@link #SERVER_TTL} ago.
     */
    public ServerInfo server() {
        if (cache == null) {
            return discover();
        }
        Discovered known = discovered;
        if (known == null || System.nanoTime() - known.atNanos() > SERVER_TTL.toNanos()) {
            synchronized (this) {
                known = discovered;
                if (known == null || System.nanoTime() - known.atNanos() > SERVER_TTL.toNanos()) {
                    known = new Discovered(discover(), System.nanoTime());
                    discovered = known;
                }
            }
        }
        return known.server();
    }

    private ServerInfo discover() {
        VersionInfo version = call("read the server version", client::getKubernetesVersion);
        Set<String> resources = new HashSet<>();
        for (String groupVersion :
                List.of("policy.networking.k8s.io/v1alpha1", "policy.networking.k8s.io/v1alpha2", "cilium.io/v2")) {
            try {
                APIResourceList list = client.getApiResources(groupVersion);
                if (list != null) {
                    list.getResources().stream()
                            .filter(resource -> !resource.getName().contains("/"))
                            .forEach(resource -> resources.add(groupVersion + "/" + resource.getKind()));
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw KubernetesFailure.of("discover " + groupVersion, e);
                }
            }
        }
        Set<String> schemaFields = new HashSet<>();
        if (resources.contains(ServerInfo.CILIUM_NETWORK_POLICY) && ciliumDeclaresEnableDefaultDeny()) {
            schemaFields.add(ServerInfo.CILIUM_ENABLE_DEFAULT_DENY);
        }
        return new ServerInfo(number(version.getMajor()), number(version.getMinor()), resources, schemaFields);
    }

    /**
     * Whether the CiliumNetworkPolicy CRD's schema (v2) declares {@code spec.enableDefaultDeny}. The
     * Cilium operator installs the CRD of its own version, and the API server prunes what the schema
     * does not declare: an older Cilium would never see the field, and its agent would not know it.
     */
    private boolean ciliumDeclaresEnableDefaultDeny() {
        CustomResourceDefinition crd = call(
                "read CustomResourceDefinition " + CILIUM_NETWORK_POLICY_CRD,
                () -> client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(CILIUM_NETWORK_POLICY_CRD)
                        .get());
        if (crd == null || crd.getSpec() == null || crd.getSpec().getVersions() == null) {
            return false;
        }
        return crd.getSpec().getVersions().stream()
                .filter(version -> "v2".equals(version.getName()) && version.getSchema() != null)
                .map(version -> version.getSchema().getOpenAPIV3Schema())
                .filter(schema -> schema != null && schema.getProperties() != null)
                .map(schema -> schema.getProperties().get("spec"))
                .anyMatch(spec -> spec != null
                        && spec.getProperties() != null
                        && spec.getProperties().containsKey("enableDefaultDeny"));
    }

    /** Everything the planners and verifiers of an action on a pod of this namespace look at. */
    public ClusterSnapshot read(String namespace) {
        return cache == null ? list(namespace) : fromCache(cache, namespace);
    }

    /** The snapshot from the API server, whatever mode this reader is in. */
    ClusterSnapshot list(String namespace) {
        ServerInfo server = server();
        List<GenericKubernetesResource> adminPolicies = new ArrayList<>();
        if (server.hasClusterNetworkPolicy()) {
            adminPolicies.addAll(call(
                    "list ClusterNetworkPolicies",
                    () -> client.genericKubernetesResources(Kinds.CLUSTER_NETWORK_POLICY)
                            .list()
                            .getItems()));
        }
        if (server.hasAdminNetworkPolicy()) {
            adminPolicies.addAll(call(
                    "list AdminNetworkPolicies",
                    () -> client.genericKubernetesResources(Kinds.ADMIN_NETWORK_POLICY)
                            .list()
                            .getItems()));
            if (server.resources().contains("policy.networking.k8s.io/v1alpha1/BaselineAdminNetworkPolicy")) {
                adminPolicies.addAll(call(
                        "list BaselineAdminNetworkPolicies",
                        () -> client.genericKubernetesResources(Kinds.BASELINE_ADMIN_NETWORK_POLICY)
                                .list()
                                .getItems()));
            }
        }
        List<GenericKubernetesResource> ciliumPolicies = new ArrayList<>();
        if (server.hasCiliumNetworkPolicy()) {
            ciliumPolicies.addAll(call(
                    "list CiliumNetworkPolicies",
                    () -> client.genericKubernetesResources(Kinds.CILIUM_NETWORK_POLICY)
                            .inAnyNamespace()
                            .list()
                            .getItems()));
        }
        if (server.hasCiliumClusterwideNetworkPolicy()) {
            ciliumPolicies.addAll(call(
                    "list CiliumClusterwideNetworkPolicies",
                    () -> client.genericKubernetesResources(Kinds.CILIUM_CLUSTERWIDE_NETWORK_POLICY)
                            .list()
                            .getItems()));
        }
        List<HasMetadata> workloads = new ArrayList<>();
        workloads.addAll(call(
                "list ReplicaSets",
                () -> client.apps().replicaSets().inNamespace(namespace).list().getItems()));
        workloads.addAll(call(
                "list StatefulSets",
                () -> client.apps().statefulSets().inNamespace(namespace).list().getItems()));
        workloads.addAll(call(
                "list DaemonSets",
                () -> client.apps().daemonSets().inNamespace(namespace).list().getItems()));
        workloads.addAll(call(
                "list ReplicationControllers",
                () -> client.replicationControllers()
                        .inNamespace(namespace)
                        .list()
                        .getItems()));
        workloads.addAll(call(
                "list Jobs",
                () -> client.batch().v1().jobs().inNamespace(namespace).list().getItems()));
        List<Secret> tokenSecrets = tokenSecrets(namespace);
        return new ClusterSnapshot(
                server,
                call("list namespaces", () -> client.namespaces().list().getItems()),
                call("list pods", () -> client.pods().inAnyNamespace().list().getItems()),
                call(
                        "list NetworkPolicies",
                        () -> client.network()
                                .v1()
                                .networkPolicies()
                                .inAnyNamespace()
                                .list()
                                .getItems()),
                adminPolicies,
                ciliumPolicies,
                workloads,
                call(
                        "list Services",
                        () -> client.services().inNamespace(namespace).list().getItems()),
                call(
                        "list ServiceAccounts",
                        () -> client.serviceAccounts()
                                .inNamespace(namespace)
                                .list()
                                .getItems()),
                call(
                        "list RoleBindings",
                        () -> client.rbac()
                                .roleBindings()
                                .inAnyNamespace()
                                .list()
                                .getItems()),
                call(
                        "list ClusterRoleBindings",
                        () -> client.rbac().clusterRoleBindings().list().getItems()),
                tokenSecrets);
    }

    private ClusterSnapshot fromCache(ClusterCache cache, String namespace) {
        ServerInfo server = server();
        cache.serve(server);
        List<GenericKubernetesResource> adminPolicies = new ArrayList<>();
        List<GenericKubernetesResource> ciliumPolicies = new ArrayList<>();
        for (String kind : ClusterCache.OPTIONAL_KINDS.keySet()) {
            if (ClusterCache.served(server, kind)) {
                (kind.startsWith("Cilium") ? ciliumPolicies : adminPolicies)
                        .addAll(cache.list(kind, GenericKubernetesResource.class));
            }
        }
        List<HasMetadata> workloads = new ArrayList<>();
        for (String kind : List.of("ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController", "Job")) {
            workloads.addAll(cache.list(kind, namespace, HasMetadata.class));
        }
        return new ClusterSnapshot(
                server,
                cache.list("Namespace", Namespace.class),
                cache.list("Pod", Pod.class),
                cache.list("NetworkPolicy", NetworkPolicy.class),
                adminPolicies,
                ciliumPolicies,
                workloads,
                cache.list("Service", namespace, Service.class),
                cache.list("ServiceAccount", namespace, ServiceAccount.class),
                cache.list("RoleBinding", RoleBinding.class),
                cache.list("ClusterRoleBinding", ClusterRoleBinding.class),
                tokenSecrets(namespace));
    }

    /**
     * The namespace's legacy token Secrets, always from the API server: listing returns the token
     * too, so they are never cached, and it is dropped here, so that no plan, log or ledger row holds it.
     */
    private List<Secret> tokenSecrets(String namespace) {
        return call(
                        "list token Secrets",
                        () -> client.secrets()
                                .inNamespace(namespace)
                                .withField("type", TOKEN_SECRET_TYPE)
                                .list()
                                .getItems())
                .stream()
                .filter(secret -> TOKEN_SECRET_TYPE.equals(secret.getType()))
                .map(secret -> new SecretBuilder(secret)
                        .withData(null)
                        .withStringData(null)
                        .build())
                .toList();
    }

    static <T> T call(String doing, Supplier<T> call) {
        try {
            return call.get();
        } catch (KubernetesClientException e) {
            throw KubernetesFailure.of(doing, e);
        }
    }

    /** "20", or "20+" as managed offerings report it. */
    private static int number(String value) {
        String digits = value == null ? "" : value.replaceAll("[^0-9].*$", "");
        return digits.isEmpty() ? 0 : Integer.parseInt(digits);
    }
}
