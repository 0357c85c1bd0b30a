package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.action.ServerInfo;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Cilium path on a real API server: with Cilium's policy kinds installed as CRDs (1.20 has no
 * network plugin, so nothing enforces them, but discovery, the schema check, the API server's
 * pruning and RBAC are real), block-connection refuses a Cilium whose CiliumNetworkPolicy schema
 * lacks {@code enableDefaultDeny}, and on one that has it creates its CiliumNetworkPolicy as the
 * chart's role, verifies it and rolls it back. The test removes the CRDs afterwards, so that other
 * tests see a cluster without them.
 */
@ExtendWith(KubeApiServerExtension.class)
class CiliumApiServerIT {

    private static final String CNP_CRD = "ciliumnetworkpolicies.cilium.io";
    private static final String CCNP_CRD = "ciliumclusterwidenetworkpolicies.cilium.io";

    private final KubernetesClient admin;
    private final KubernetesClient stanch;
    private final String namespace;

    CiliumApiServerIT(KubeApiServer kube) {
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        this.namespace = admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withGenerateName("cilium-")
                        .endMetadata()
                        .build())
                .create()
                .getMetadata()
                .getName();
        ClusterFixtures.runningPod(admin, namespace, "web-1", "10.3.0.11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", "10.3.0.12", Map.of("app", "web"));
        ClusterFixtures.webEgressToC2(admin, namespace);
    }

    @AfterEach
    void cleanUp() {
        admin.namespaces().withName(namespace).delete();
        for (String name : List.of(CNP_CRD, CCNP_CRD)) {
            admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(name)
                    .delete();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ServerInfo server = new ClusterReader(admin).server();
            return !server.hasCiliumNetworkPolicy() && !server.hasCiliumClusterwideNetworkPolicy();
        });
    }

    /**
     * A CRD of Cilium's group that keeps whatever it is given, but for what its spec declares: with
     * {@code enableDefaultDeny}, the declaration Cilium 1.16+ installs.
     */
    private static CustomResourceDefinition crd(String kind, String plural, String scope, boolean enableDefaultDeny) {
        JSONSchemaPropsBuilder spec =
                new JSONSchemaPropsBuilder().withType("object").withXKubernetesPreserveUnknownFields(true);
        if (enableDefaultDeny) {
            JSONSchemaProps bool =
                    new JSONSchemaPropsBuilder().withType("boolean").build();
            spec.addToProperties(
                    "enableDefaultDeny",
                    new JSONSchemaPropsBuilder()
                            .withType("object")
                            .addToProperties("egress", bool)
                            .addToProperties("ingress", bool)
                            .build());
        }
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName(plural + ".cilium.io")
                .endMetadata()
                .withNewSpec()
                .withGroup("cilium.io")
                .withScope(scope)
                .withNewNames()
                .withKind(kind)
                .withPlural(plural)
                .withSingular(kind.toLowerCase(Locale.ROOT))
                .withListKind(kind + "List")
                .endNames()
                .addNewVersion()
                .withName("v2")
                .withServed(true)
                .withStorage(true)
                .withNewSchema()
                .withNewOpenAPIV3Schema()
                .withType("object")
                .withXKubernetesPreserveUnknownFields(true)
                .addToProperties("spec", spec.build())
                .endOpenAPIV3Schema()
                .endSchema()
                .endVersion()
                .endSpec()
                .build();
    }

    private Planning planning(String id) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", "egress");
        params.put("protocol", "tcp");
        params.put("peerIp", "203.0.113.7");
        params.put("peerPort", 4444);
        ActionRequest request = new ActionRequest(
                "it",
                "stage",
                1,
                ActionKind.BLOCK_CONNECTION,
                new Target(namespace, "web-1", null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        return ActionType.of(ActionKind.BLOCK_CONNECTION)
                .plan(new PlanInput(id, request, Safety.defaults()), CachedSnapshots.read(stanch, namespace));
    }

    @Test
    void aBlockThatANetworkPolicyCannotWinBecomesACiliumNetworkPolicyWhereCiliumCanLeaveDefaultDenyOff() {
        var crds = admin.apiextensions().v1().customResourceDefinitions();
        crds.resource(crd("CiliumNetworkPolicy", "ciliumnetworkpolicies", "Namespaced", false))
                .create();
        crds.resource(crd("CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", "Cluster", false))
                .create();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ServerInfo server = new ClusterReader(admin).server();
            return server.hasCiliumNetworkPolicy() && server.hasCiliumClusterwideNetworkPolicy();
        });
        // A Cilium before 1.16: its schema has no enableDefaultDeny.
        assertThat(new ClusterReader(stanch).server().ciliumDeclaresEnableDefaultDeny())
                .isFalse();
        assertThat(planning("cil0").toString())
                .contains("refused (unsupported)")
                .contains("CiliumNetworkPolicy has no enableDefaultDeny (Cilium 1.16+)");

        // Cilium upgraded to 1.16+: its operator installs the CRD that declares the field.
        crds.resource(crd("CiliumNetworkPolicy", "ciliumnetworkpolicies", "Namespaced", true))
                .forceConflicts()
                .serverSideApply();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> new ClusterReader(stanch).server().ciliumDeclaresEnableDefaultDeny());
        Planning planning = planning("cil1");
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        ActionPlan plan = ((Planning.Planned) planning).plan();
        assertThat(plan.params()).containsEntry("policy", "CiliumNetworkPolicy").containsEntry("granularity", "port");

        ActionExecutor executor = new ActionExecutor(stanch);
        executor.apply(plan);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        GenericKubernetesResource created = admin.genericKubernetesResources(Kinds.CILIUM_NETWORK_POLICY)
                .inNamespace(namespace)
                .withName("stanch-block-cil1")
                .get();
        assertThat(created.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "stanch")
                .containsEntry("stanch.dev/action-id", "cil1");
        // The field survived the API server's pruning: the schema declares it.
        assertThat(created.getAdditionalProperties().get("spec").toString())
                .contains("enableDefaultDeny={egress=false, ingress=false}")
                .contains("egressDeny=[{toCIDR=[203.0.113.7/32], toPorts=[{ports=[{port=4444, protocol=TCP}]}]}]");
        assertThat(executor.leftovers("cil1")).hasSize(2); // the policy and the pod's label

        executor.rollback(plan);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(executor.leftovers("cil1")).isEmpty();
        assertThat(admin.genericKubernetesResources(Kinds.CILIUM_NETWORK_POLICY)
                        .inNamespace(namespace)
                        .list()
                        .getItems())
                .isEmpty();
    }
}
