package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Proves the harness and the behaviour of a real cluster that later {@code *ApiServerIT} tests rely on
 * and that the fabric8 mock server gets wrong or lacks (../shared/notes/real-components.md): set-based
 * selectors, token Secrets filled by the controller-manager, ReplicaSets that replace a relabeled pod
 * and orphan it, RBAC that forbids until a binding allows.
 */
@ExtendWith(KubeApiServerExtension.class)
class KubeApiServerHarnessApiServerIT {

    /** Generous: the controllers react in well under a second, but CI machines may be loaded. */
    private static final Duration CONTROLLERS = Duration.ofSeconds(60);

    private final KubeApiServer kube;
    private final KubernetesClient admin;
    private final String namespace;

    KubeApiServerHarnessApiServerIT(KubeApiServer kube) {
        this.kube = kube;
        this.admin = kube.admin();
        this.namespace = kube.createNamespace("harness");
    }

    @AfterEach
    void deleteNamespace() {
        admin.namespaces().withName(namespace).delete();
    }

    @Test
    void theServerIsKubernetes120() {
        VersionInfo version = admin.getKubernetesVersion();

        assertThat(version.getMajor()).isEqualTo("1");
        assertThat(version.getMinor()).isEqualTo("20");
        assertThat(version.getGitVersion()).isEqualTo("v" + KubeBinaries.VERSION);
    }

    @Test
    void aNetworkPolicyWithMatchExpressionsRoundTripsAndSetBasedSelectorsSelect() {
        NetworkPolicy sent = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("deny-web-from-dev")
                .withLabels(Map.of("tier", "frontend"))
                .endMetadata()
                .withNewSpec()
                .withPodSelector(new LabelSelectorBuilder()
                        .addNewMatchExpression()
                        .withKey("app")
                        .withOperator("In")
                        .withValues("web", "api")
                        .endMatchExpression()
                        .build())
                .addNewIngress()
                .addNewFrom()
                .withNamespaceSelector(new LabelSelectorBuilder()
                        .addNewMatchExpression()
                        .withKey("env")
                        .withOperator("NotIn")
                        .withValues("dev")
                        .endMatchExpression()
                        .build())
                .endFrom()
                .addNewPort()
                .withProtocol("TCP")
                .withNewPort(8080)
                .endPort()
                .endIngress()
                .withPolicyTypes("Ingress")
                .endSpec()
                .build();
        NetworkPolicy other = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("backend")
                .withLabels(Map.of("tier", "backend"))
                .endMetadata()
                .withNewSpec()
                .withPodSelector(new LabelSelector())
                .withPolicyTypes("Ingress")
                .endSpec()
                .build();

        var policies = admin.network().v1().networkPolicies().inNamespace(namespace);
        policies.resource(sent).create();
        policies.resource(other).create();

        assertThat(policies.withName("deny-web-from-dev").get().getSpec()).isEqualTo(sent.getSpec());
        // The mock server ignores in/notin and returns everything.
        assertThat(policies.withLabelIn("tier", "frontend", "middle").list().getItems())
                .extracting(policy -> policy.getMetadata().getName())
                .containsExactly("deny-web-from-dev");
        assertThat(policies.withLabelNotIn("tier", "frontend").list().getItems())
                .extracting(policy -> policy.getMetadata().getName())
                .containsExactly("backend");
    }

    @Test
    void theControllerManagerFillsALegacyTokenSecretWithATokenTheServerAccepts() {
        String account = "legacy";
        admin.serviceAccounts()
                .inNamespace(namespace)
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(account)
                        .endMetadata()
                        .build())
                .create();
        admin.secrets()
                .inNamespace(namespace)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("legacy-token")
                        .withAnnotations(Map.of("kubernetes.io/service-account.name", account))
                        .endMetadata()
                        .withType("kubernetes.io/service-account-token")
                        .build())
                .create();

        Secret filled = admin.secrets()
                .inNamespace(namespace)
                .withName("legacy-token")
                .waitUntilCondition(
                        secret -> secret != null
                                && secret.getData() != null
                                && secret.getData().containsKey("token"),
                        CONTROLLERS.toSeconds(),
                        TimeUnit.SECONDS);

        assertThat(decode(filled, "namespace")).isEqualTo(namespace);
        assertThat(decode(filled, "ca.crt")).startsWith("-----BEGIN CERTIFICATE-----");
        String token = decode(filled, "token");
        assertThat(token.split("\\.")).as("a JWT: header.payload.signature").hasSize(3);
        // Authenticated (else 401), as the account, and allowed nothing: the controller-manager signs
        // with the key the API server verifies with.
        try (KubernetesClient asAccount = kube.clientWithToken(namespace, token)) {
            assertThatThrownBy(() -> asAccount.pods().inNamespace(namespace).list())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403))
                    .hasMessageContaining("system:serviceaccount:" + namespace + ":" + account);
        }
    }

    @Test
    void aDeploymentGetsItsPodsAndARelabeledPodIsReplacedAndOrphaned() {
        admin.apps()
                .deployments()
                .inNamespace(namespace)
                .resource(webDeployment(2))
                .create();

        List<Pod> pods = awaitPods("app", "web", 2);
        assertThat(pods).allSatisfy(pod -> {
            assertThat(pod.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(owner -> assertThat(owner.getKind()).isEqualTo("ReplicaSet"));
            // No kubelet, no scheduler: the pods exist but never run.
            assertThat(pod.getSpec().getNodeName()).isNull();
            assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
        });
        ReplicaSet replicaSet = admin.apps()
                .replicaSets()
                .inNamespace(namespace)
                .withName(pods.getFirst()
                        .getMetadata()
                        .getOwnerReferences()
                        .getFirst()
                        .getName())
                .get();
        assertThat(replicaSet.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(owner -> {
                    assertThat(owner.getKind()).isEqualTo("Deployment");
                    assertThat(owner.getName()).isEqualTo("web");
                });

        String isolated = pods.getFirst().getMetadata().getName();
        admin.pods()
                .inNamespace(namespace)
                .withName(isolated)
                .edit(pod -> new PodBuilder(pod)
                        .editMetadata()
                        .addToLabels("app", "isolated")
                        .endMetadata()
                        .build());

        Pod orphan = admin.pods()
                .inNamespace(namespace)
                .withName(isolated)
                .waitUntilCondition(
                        pod -> pod.getMetadata().getOwnerReferences().isEmpty(),
                        CONTROLLERS.toSeconds(),
                        TimeUnit.SECONDS);
        assertThat(orphan.getMetadata().getLabels()).containsEntry("app", "isolated");
        assertThat(awaitPods("app", "web", 2))
                .extracting(pod -> pod.getMetadata().getName())
                .doesNotContain(isolated)
                .contains(pods.get(1).getMetadata().getName());
    }

    @Test
    void aServiceAccountIsForbiddenUntilARoleBindingAllows() {
        String account = "reader";
        try (KubernetesClient asAccount = kube.clientFor(namespace, account)) {
            assertThatThrownBy(() -> asAccount.pods().inNamespace(namespace).list())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403));

            admin.rbac()
                    .roles()
                    .inNamespace(namespace)
                    .resource(new RoleBuilder()
                            .withNewMetadata()
                            .withName("pod-reader")
                            .endMetadata()
                            .addNewRule()
                            .withApiGroups("")
                            .withResources("pods")
                            .withVerbs("get", "list")
                            .endRule()
                            .build())
                    .create();
            admin.rbac()
                    .roleBindings()
                    .inNamespace(namespace)
                    .resource(new RoleBindingBuilder()
                            .withNewMetadata()
                            .withName("reader-reads-pods")
                            .endMetadata()
                            .withNewRoleRef("rbac.authorization.k8s.io", "Role", "pod-reader")
                            .addNewSubject()
                            .withKind("ServiceAccount")
                            .withName(account)
                            .withNamespace(namespace)
                            .endSubject()
                            .build())
                    .create();

            // The authorizer reads RBAC objects from an informer cache: the binding takes effect
            // shortly after it is stored, not at once.
            await().atMost(CONTROLLERS)
                    .ignoreExceptionsInstanceOf(KubernetesClientException.class)
                    .untilAsserted(() -> assertThat(asAccount
                                    .pods()
                                    .inNamespace(namespace)
                                    .list()
                                    .getItems())
                            .isEmpty());
        }
    }

    private Deployment webDeployment(int replicas) {
        Map<String, String> labels = Map.of("app", "web");
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName("web")
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("web")
                .withImage("registry.example/web:1")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** Waits until exactly {@code count} pods carry the label, and returns them sorted by name. */
    private List<Pod> awaitPods(String key, String value, int count) {
        try {
            return admin
                    .pods()
                    .inNamespace(namespace)
                    .withLabel(key, value)
                    .informOnCondition(pods -> pods.size() == count)
                    .get(CONTROLLERS.toSeconds(), TimeUnit.SECONDS)
                    .stream()
                    .sorted((a, b) ->
                            a.getMetadata().getName().compareTo(b.getMetadata().getName()))
                    .toList();
        } catch (Exception e) {
            throw new AssertionError(
                    "not " + count + " pods with " + key + "=" + value + " within " + CONTROLLERS + ": "
                            + admin.pods().inNamespace(namespace).list().getItems().stream()
                                    .map(pod -> pod.getMetadata().getName()
                                            + pod.getMetadata().getLabels())
                                    .toList(),
                    e);
        }
    }

    private static String decode(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
}
