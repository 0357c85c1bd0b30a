package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The deny-capable path on a real API server: with the network-policy-api kinds installed (as
 * CRDs; 1.20 has no network plugin, so nothing enforces them, but discovery, validation of the
 * object's shape and RBAC are real), block-connection and quarantine-pod create their admin-tier
 * policy as the chart's role, and roll it back. Each test installs what it needs and removes it, so
 * that other tests see a cluster without these kinds.
 */
@ExtendWith(KubeApiServerExtension.class)
class AdminPoliciesApiServerIT {

    private final KubernetesClient admin;
    private final KubernetesClient stanch;
    private final String namespace;

    AdminPoliciesApiServerIT(KubeApiServer kube) {
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        // 1.20 does not label namespaces with their name yet; admin-tier policies select by it.
        this.namespace = admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withGenerateName("anp-")
                        .endMetadata()
                        .build())
                .create()
                .getMetadata()
                .getName();
        admin.namespaces()
                .withName(namespace)
                .edit(ns -> new NamespaceBuilder(ns)
                        .editMetadata()
                        .addToLabels("kubernetes.io/metadata.name", namespace)
                        .endMetadata()
                        .build());
        ClusterFixtures.runningPod(admin, namespace, "web-1", "10.2.0.11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", "10.2.0.12", Map.of("app", "web"));
        ClusterFixtures.webEgressToC2(admin, namespace);
    }

    @AfterEach
    void cleanUp() {
        admin.namespaces().withName(namespace).delete();
        for (String name : List.of(
                "clusternetworkpolicies.policy.networking.k8s.io",
                "adminnetworkpolicies.policy.networking.k8s.io",
                "baselineadminnetworkpolicies.policy.networking.k8s.io")) {
            admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(name)
                    .delete();
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> !new ClusterReader(admin).server().hasAdminNetworkPolicy()
                        && !new ClusterReader(admin).server().hasClusterNetworkPolicy());
    }

    /** A CRD of the network-policy-api group that keeps whatever spec it is given. */
    private void install(String kind, String plural, String version) {
        CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName(plural + ".policy.networking.k8s.io")
                // The API server insists on this for a *.k8s.io group; the real CRDs carry it too.
                .addToAnnotations(
                        "api-approved.kubernetes.io", "https://github.com/kubernetes-sigs/network-policy-api/pull/30")
                .endMetadata()
                .withNewSpec()
                .withGroup("policy.networking.k8s.io")
                .withScope("Cluster")
                .withNewNames()
                .withKind(kind)
                .withPlural(plural)
                .withSingular(kind.toLowerCase(java.util.Locale.ROOT))
                .withListKind(kind + "List")
                .endNames()
                .addNewVersion()
                .withName(version)
                .withServed(true)
                .withStorage(true)
                .withNewSchema()
                .withNewOpenAPIV3Schema()
                .withType("object")
                .withXKubernetesPreserveUnknownFields(true)
                .endOpenAPIV3Schema()
                .endSchema()
                .endVersion()
                .endSpec()
                .build();
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> new ClusterReader(admin)
                        .server()
                        .resources()
                        .contains("policy.networking.k8s.io/" + version + "/" + kind));
    }

    private Planning planning(String id, ActionKind kind, Map<String, Object> params) {
        ActionRequest request = new ActionRequest(
                "it",
                "stage",
                1,
                kind,
                new Target(namespace, "web-1", null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        return ActionType.of(kind)
                .plan(new PlanInput(id, request, Safety.defaults()), CachedSnapshots.read(stanch, namespace));
    }

    private static Map<String, Object> block() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", "egress");
        params.put("protocol", "tcp");
        params.put("peerIp", "203.0.113.7");
        params.put("peerPort", 4444);
        return params;
    }

    private ActionPlan planned(Planning planning) {
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    @Test
    void aBlockThatANetworkPolicyCannotWinBecomesAClusterNetworkPolicy() {
        assertThat(planning("cnp0", ActionKind.BLOCK_CONNECTION, block()).toString())
                .contains("refused (unsupported)")
                .contains("no API that can deny");
        install("ClusterNetworkPolicy", "clusternetworkpolicies", "v1alpha2");
        install("AdminNetworkPolicy", "adminnetworkpolicies", "v1alpha1");
        ActionPlan plan = planned(planning("cnp1", ActionKind.BLOCK_CONNECTION, block()));
        assertThat(plan.params())
                .containsEntry("policy", "ClusterNetworkPolicy")
                .containsEntry("granularity", "port");

        ActionExecutor executor = new ActionExecutor(stanch);
        executor.apply(plan);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        GenericKubernetesResource created = admin.genericKubernetesResources(Kinds.CLUSTER_NETWORK_POLICY)
                .withName("stanch-block-cnp1")
                .get();
        assertThat(created.getMetadata().getLabels()).containsEntry("stanch.dev/action-id", "cnp1");
        assertThat(created.getAdditionalProperties().get("spec").toString())
                .contains("tier=Admin")
                .contains("action=Deny")
                .contains("networks=[203.0.113.7/32]");
        assertThat(executor.leftovers("cnp1")).hasSize(2); // the policy and the pod's label

        executor.rollback(plan);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(executor.leftovers("cnp1")).isEmpty();
    }

    @Test
    void quarantineAddsAnAdminNetworkPolicyWhereOnlyThatKindExists() {
        install("AdminNetworkPolicy", "adminnetworkpolicies", "v1alpha1");
        install("BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", "v1alpha1");
        ActionPlan plan = planned(planning("anp1", ActionKind.QUARANTINE_POD, Map.of()));
        assertThat(plan.steps())
                .extracting(dev.stanch.action.Step::describe)
                .contains("create AdminNetworkPolicy stanch-quarantine-anp1");

        ActionExecutor executor = new ActionExecutor(stanch);
        executor.apply(plan);
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(admin.genericKubernetesResources(Kinds.ADMIN_NETWORK_POLICY)
                        .withName("stanch-quarantine-anp1")
                        .get())
                .isNotNull();
        executor.rollback(plan);
        assertThat(executor.leftovers("anp1")).isEmpty();
    }
}
