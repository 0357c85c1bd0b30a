package dev.stanch.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stanch.kubernetes.KubeApiServer;
import dev.stanch.kubernetes.KubeApiServerExtension;
import dev.stanch.kubernetes.KubeBinaries;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's objects as a real API server (kube-apiserver 1.20, the oldest the chart supports)
 * validates them: each rendered object is created with {@code dryRun=All} — the server's whole
 * validation and admission, nothing stored — and then the default rendering is installed for real,
 * so that the ReplicaSet controller's pods pass validation as well, and the binding grants the
 * chart's account what the ClusterRole says. The ServiceMonitor is left out: the server has no
 * Prometheus Operator CRD.
 */
@ExtendWith(KubeApiServerExtension.class)
class HelmChartApiServerIT {

    private static final Duration CONTROLLERS = Duration.ofSeconds(60);

    private static final String OTHER_VALUES = """
            replicaCount: 3
            image: {repository: registry.example/stanch, tag: 1.2.3}
            serviceAccount: {name: stanch-actor}
            database: {existingSecret: ledger, secretKeys: {username: user, password: pass}}
            guardrails: {dryRun: true, protectedNamespaces: [kube-system, payments], maxQuarantineShare: 0.25}
            auth: {oidc: {issuerUri: 'https://login.example/realms/ops'}}
            kafka: {bootstrapServers: 'kafka:9093', existingSecret: kafka-client}
            metrics: {serviceMonitor: {enabled: true}}
            topologySpread: {nodes: DoNotSchedule, zones: ''}
            networkPolicy:
              ingress: {from: [{namespaceSelector: {matchLabels: {team: sre}}}, {ipBlock: {cidr: 10.0.0.0/8}}]}
              egress: {apiServer: {cidrs: [10.0.0.1/32]}, dns: {to: [{namespaceSelector: {}}]}}
            """;

    private final KubernetesClient admin;
    private final String namespace;

    HelmChartApiServerIT(KubeApiServer kube) {
        this.admin = kube.admin();
        this.namespace = kube.createNamespace("chart");
    }

    @AfterEach
    void deleteRelease() {
        admin.namespaces().withName(namespace).delete();
        // The release is named after the namespace, so are its cluster-wide objects.
        admin.rbac()
                .clusterRoleBindings()
                .withLabel("app.kubernetes.io/instance", namespace)
                .delete();
        admin.rbac()
                .clusterRoles()
                .withLabel("app.kubernetes.io/instance", namespace)
                .delete();
    }

    @Test
    void theServerAcceptsEveryObjectOfTheDefaultRendering() {
        List<HasMetadata> objects = render("");

        assertThat(objects)
                .extracting(HasMetadata::getApiVersion)
                .as("policy/v1beta1: what 1.20 serves")
                .contains("policy/v1beta1");
        assertDryRunAccepted(objects);
    }

    @Test
    void theServerAcceptsEveryObjectOfOtherValues() {
        List<HasMetadata> objects = render(OTHER_VALUES);

        assertThat(objects).extracting(HasMetadata::getKind).contains("ServiceMonitor");
        assertDryRunAccepted(objects.stream()
                .filter(object -> !object.getKind().equals("ServiceMonitor"))
                .toList());
    }

    /** Why the budget's API version follows the cluster: a 1.20 server has no policy/v1. */
    @Test
    void aServerOlderThan121RefusesTheRenderingForNewerOnes() {
        HasMetadata budget = StanchChart.objects(StanchChart.template(namespace, namespace, "1.21.0", "")).stream()
                .filter(object -> object.getKind().equals("PodDisruptionBudget"))
                .findFirst()
                .orElseThrow();

        assertThat(budget.getApiVersion()).isEqualTo("policy/v1");
        assertThatThrownBy(() -> admin.resource(budget).dryRun().create())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e ->
                        assertThat(((KubernetesClientException) e).getCode()).isEqualTo(404));
    }

    @Test
    void installedTheDeploymentMakesPodsThatRunAsTheBoundAccount() {
        List<HasMetadata> objects = render("");
        for (HasMetadata object : objects) {
            admin.resource(object).create();
        }
        Deployment deployment = objects.stream()
                .filter(Deployment.class::isInstance)
                .map(Deployment.class::cast)
                .findFirst()
                .orElseThrow();
        String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();

        // The ReplicaSet controller creates the pods, through the server's validation and admission
        // (kube-api-test runs it without the ServiceAccount plugin: the token mount is not shown).
        List<Pod> pods = await().atMost(CONTROLLERS)
                .until(
                        () -> admin.pods()
                                .inNamespace(namespace)
                                .withLabels(deployment.getSpec().getSelector().getMatchLabels())
                                .list()
                                .getItems(),
                        list -> list.size() == 2);
        assertThat(pods).allSatisfy(pod -> {
            assertThat(pod.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "stanch");
            assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(account);
            assertThat(pod.getSpec().getAutomountServiceAccountToken()).isTrue();
            assertThat(pod.getSpec()
                            .getContainers()
                            .getFirst()
                            .getSecurityContext()
                            .getReadOnlyRootFilesystem())
                    .isTrue();
        });

        // The account may do what the ClusterRole grants, in every namespace, and nothing else.
        String user = "system:serviceaccount:" + namespace + ":" + account;
        assertThat(allowed(user, "list", "", "pods", null)).isTrue();
        assertThat(allowed(user, "create", "networking.k8s.io", "networkpolicies", "kube-system"))
                .isTrue();
        assertThat(allowed(user, "update", "rbac.authorization.k8s.io", "clusterrolebindings", null))
                .isTrue();
        assertThat(allowed(user, "create", "", "pods", namespace)).isFalse();
        assertThat(allowed(user, "get", "", "configmaps", namespace)).isFalse();
        assertThat(allowed("system:serviceaccount:" + namespace + ":default", "list", "", "pods", null))
                .isFalse();
    }

    private List<HasMetadata> render(String values) {
        // The release named after its namespace: cluster-wide names cannot collide between tests.
        return StanchChart.objects(StanchChart.template(namespace, namespace, KubeBinaries.VERSION, values));
    }

    /** Each object passes the server's validation and admission, and nothing is stored. */
    private void assertDryRunAccepted(List<HasMetadata> objects) {
        assertThat(objects).isNotEmpty();
        for (HasMetadata object : objects) {
            HasMetadata answer = admin.resource(object).dryRun().create();
            assertThat(answer.getMetadata().getName())
                    .as("%s accepted", object.getKind())
                    .isEqualTo(object.getMetadata().getName());
            assertThat(admin.resource(object).get())
                    .as("%s not stored", object.getKind())
                    .isNull();
        }
        assertThat(objects)
                .hasAtLeastOneElementOfType(ClusterRole.class)
                .hasAtLeastOneElementOfType(ClusterRoleBinding.class);
    }

    private boolean allowed(String user, String verb, String group, String resource, String inNamespace) {
        SubjectAccessReview review = new SubjectAccessReviewBuilder()
                .withNewSpec()
                .withUser(user)
                .withGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated")
                .withNewResourceAttributes()
                .withVerb(verb)
                .withGroup(group)
                .withResource(resource)
                .withNamespace(inNamespace)
                .endResourceAttributes()
                .endSpec()
                .build();
        return admin.authorization()
                .v1()
                .subjectAccessReview()
                .create(review)
                .getStatus()
                .getAllowed();
    }
}
