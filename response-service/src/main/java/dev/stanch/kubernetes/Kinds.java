package dev.stanch.kubernetes;

import dev.stanch.action.ObjectRef;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The kinds the actions change, mapped to typed fabric8 operations. Custom resources go through
 * explicit resource definitions, so that no discovery call is needed for them.
 */
final class Kinds {

    static final ResourceDefinitionContext ADMIN_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("policy.networking.k8s.io")
            .withVersion("v1alpha1")
            .withKind("AdminNetworkPolicy")
            .withPlural("adminnetworkpolicies")
            .withNamespaced(false)
            .build();

    static final ResourceDefinitionContext CLUSTER_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("policy.networking.k8s.io")
            .withVersion("v1alpha2")
            .withKind("ClusterNetworkPolicy")
            .withPlural("clusternetworkpolicies")
            .withNamespaced(false)
            .build();

    static final ResourceDefinitionContext BASELINE_ADMIN_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("policy.networking.k8s.io")
            .withVersion("v1alpha1")
            .withKind("BaselineAdminNetworkPolicy")
            .withPlural("baselineadminnetworkpolicies")
            .withNamespaced(false)
            .build();

    static final ResourceDefinitionContext CILIUM_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("cilium.io")
            .withVersion("v2")
            .withKind("CiliumNetworkPolicy")
            .withPlural("ciliumnetworkpolicies")
            .withNamespaced(true)
            .build();

    static final ResourceDefinitionContext CILIUM_CLUSTERWIDE_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("cilium.io")
            .withVersion("v2")
            .withKind("CiliumClusterwideNetworkPolicy")
            .withPlural("ciliumclusterwidenetworkpolicies")
            .withNamespaced(false)
            .build();

    private final KubernetesClient client;

    Kinds(KubernetesClient client) {
        this.client = client;
    }

    /** The operations on one object. */
    Resource<? extends HasMetadata> resource(ObjectRef ref) {
        String namespace = ref.namespace();
        String name = ref.name();
        return switch (ref.kind()) {
            case "Pod" -> client.pods().inNamespace(namespace).withName(name);
            case "Secret" -> client.secrets().inNamespace(namespace).withName(name);
            case "ServiceAccount" ->
                client.serviceAccounts().inNamespace(namespace).withName(name);
            case "NetworkPolicy" ->
                client.network().v1().networkPolicies().inNamespace(namespace).withName(name);
            case "RoleBinding" ->
                client.rbac().roleBindings().inNamespace(namespace).withName(name);
            case "ClusterRoleBinding" -> client.rbac().clusterRoleBindings().withName(name);
            case "AdminNetworkPolicy" ->
                client.genericKubernetesResources(ADMIN_NETWORK_POLICY).withName(name);
            case "ClusterNetworkPolicy" ->
                client.genericKubernetesResources(CLUSTER_NETWORK_POLICY).withName(name);
            case "CiliumNetworkPolicy" ->
                client.genericKubernetesResources(CILIUM_NETWORK_POLICY)
                        .inNamespace(namespace)
                        .withName(name);
            default ->
                throw new KubernetesFailure(
                        KubernetesFailure.Reason.UNSUPPORTED, "Stanch does not change objects of kind " + ref.kind());
        };
    }

    /** The operations on an object in hand (for create and update). */
    Resource<? extends HasMetadata> resource(HasMetadata object) {
        if (object instanceof GenericKubernetesResource generic) {
            ResourceDefinitionContext context = switch (String.valueOf(generic.getKind())) {
                case "AdminNetworkPolicy" -> ADMIN_NETWORK_POLICY;
                case "ClusterNetworkPolicy" -> CLUSTER_NETWORK_POLICY;
                case "CiliumNetworkPolicy" -> CILIUM_NETWORK_POLICY;
                default ->
                    throw new KubernetesFailure(
                            KubernetesFailure.Reason.UNSUPPORTED,
                            "Stanch does not change objects of kind " + generic.getKind());
            };
            return client.genericKubernetesResources(context).resource(generic);
        }
        return client.resource(object);
    }
}
