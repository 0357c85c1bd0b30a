package dev.stanch.sandbox;

import dev.stanch.kubernetes.KubeApiServer;
import dev.stanch.kubernetes.KubeBinaries;
import dev.stanch.kubernetes.Kubeconfigs;
import dev.stanch.kubernetes.StanchIdentity;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The sandbox's Kubernetes: the real kube-apiserver (with etcd and the controller-manager) when
 * {@code .ci/kube-binaries} has built it on this machine, else fabric8's mock server — and in both,
 * the same demo: namespace {@code demo} with a Deployment's two running pods behind a Service, a
 * database pod, a service account with a RoleBinding and a token Secret, and a pod in the protected
 * {@code kube-system}. Stanch reaches it through a kubeconfig file, as it would any cluster; on the
 * real server that kubeconfig holds a token of an account bound to the chart's ClusterRole only.
 */
final class SandboxCluster implements AutoCloseable {

    static final String DEMO = "demo";

    private final String description;
    private final KubernetesClient admin;
    private final Path kubeconfig;
    private final AutoCloseable server;
    private final List<Pod> webPods;

    private SandboxCluster(
            String description, KubernetesClient admin, Path kubeconfig, AutoCloseable server, List<Pod> webPods) {
        this.description = description;
        this.admin = admin;
        this.kubeconfig = kubeconfig;
        this.server = server;
        this.webPods = webPods;
    }

    static SandboxCluster start(Path workDir) {
        KubeBinaries binaries = KubeBinaries.located();
        if (binaries.missing().isEmpty()) {
            KubeApiServer kube = KubeApiServer.start(binaries, workDir.resolve("kube-api-server"));
            KubernetesClient stanch = StanchIdentity.of(kube).client();
            List<Pod> pods = seed(kube.admin(), true);
            Path kubeconfig = Kubeconfigs.write(workDir.resolve("stanch.kubeconfig"), stanch.getConfiguration());
            return new SandboxCluster(
                    "kube-apiserver " + KubeBinaries.VERSION + " (real, from " + binaries.versionDir()
                            + "); Stanch acts as a service account bound to the chart's ClusterRole",
                    kube.admin(),
                    kubeconfig,
                    kube,
                    pods);
        }
        KubernetesMockServer mock = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        mock.init();
        KubernetesClient admin = mock.createClient();
        List<Pod> pods = seed(admin, false);
        Path kubeconfig = Kubeconfigs.write(workDir.resolve("stanch.kubeconfig"), admin.getConfiguration());
        return new SandboxCluster(
                "fabric8 mock server (no kube-apiserver in " + binaries.versionDir()
                        + "; .ci/kube-binaries builds it, ~7 minutes once)",
                admin,
                kubeconfig,
                () -> {
                    admin.close();
                    mock.destroy();
                },
                pods);
    }

    String description() {
        return description;
    }

    /** The kubeconfig Stanch is given (the {@code kubeconfig} system property). */
    Path kubeconfig() {
        return kubeconfig;
    }

    KubernetesClient admin() {
        return admin;
    }

    /** The Deployment's pods, running. */
    List<Pod> webPods() {
        return webPods;
    }

    @Override
    public void close() throws Exception {
        server.close();
    }

    /**
     * Creates the demo. With controllers (the real server) the Deployment's pods come from the
     * ReplicaSet controller and only their status is written here, as a kubelet would; on the mock,
     * the ReplicaSet and the pods are written here, owned as the controllers would own them.
     */
    private static List<Pod> seed(KubernetesClient admin, boolean controllers) {
        for (String namespace : List.of(DEMO, "stanch", "kube-system")) {
            if (admin.namespaces().withName(namespace).get() == null) {
                admin.namespaces()
                        .resource(new NamespaceBuilder()
                                .withNewMetadata()
                                .withName(namespace)
                                .endMetadata()
                                .build())
                        .create();
            }
        }
        NamespacedKubernetesClient demo =
                admin.adapt(NamespacedKubernetesClient.class).inNamespace(DEMO);
        demo.serviceAccounts()
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .build())
                .create();
        // A long-lived token Secret, as older clusters and some tools still make: revoke-token deletes it.
        demo.secrets()
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("web-token")
                        .addToAnnotations("kubernetes.io/service-account.name", "web")
                        .endMetadata()
                        .withType("kubernetes.io/service-account-token")
                        .build())
                .create();
        demo.rbac()
                .roles()
                .resource(new RoleBuilder()
                        .withNewMetadata()
                        .withName("config-reader")
                        .endMetadata()
                        .addNewRule()
                        .withApiGroups("")
                        .withResources("configmaps")
                        .withVerbs("get", "list")
                        .endRule()
                        .build())
                .create();
        demo.rbac()
                .roleBindings()
                .resource(new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName("web-config-reader")
                        .endMetadata()
                        .withNewRoleRef()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("Role")
                        .withName("config-reader")
                        .endRoleRef()
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("web")
                        .withNamespace(DEMO)
                        .endSubject()
                        .build())
                .create();
        Map<String, String> webLabels = Map.of("app", "web");
        PodTemplateSpec template = new PodTemplateSpecBuilder()
                .withNewMetadata()
                .withLabels(webLabels)
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName("web")
                .addNewContainer()
                .withName("web")
                .withImage("nginx:1.27")
                .addNewPort()
                .withContainerPort(8080)
                .endPort()
                .endContainer()
                .endSpec()
                .build();
        Deployment deployment = demo.apps()
                .deployments()
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .withLabels(webLabels)
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(2)
                        .withNewSelector()
                        .withMatchLabels(webLabels)
                        .endSelector()
                        .withTemplate(template)
                        .endSpec()
                        .build())
                .create();
        demo.services()
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .withNewSpec()
                        .withSelector(webLabels)
                        .addNewPort()
                        .withPort(80)
                        .withNewTargetPort(8080)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        List<Pod> created;
        if (controllers) {
            created = demo.pods()
                    .withLabels(webLabels)
                    .informOnCondition(pods -> pods.size() == 2)
                    .orTimeout(60, TimeUnit.SECONDS)
                    .join();
        } else {
            ReplicaSet replicaSet = demo.apps()
                    .replicaSets()
                    .resource(new ReplicaSetBuilder()
                            .withNewMetadata()
                            .withName("web-6d8f9c7b5")
                            .withLabels(webLabels)
                            .withOwnerReferences(controllerOf(deployment))
                            .endMetadata()
                            .withNewSpec()
                            .withReplicas(2)
                            .withNewSelector()
                            .withMatchLabels(webLabels)
                            .endSelector()
                            .withTemplate(template)
                            .endSpec()
                            .build())
                    .create();
            created = new ArrayList<>();
            for (String suffix : List.of("x2k4q", "p7m9d")) {
                created.add(demo.pods()
                        .resource(new PodBuilder()
                                .withNewMetadata()
                                .withName("web-6d8f9c7b5-" + suffix)
                                .withLabels(webLabels)
                                .withOwnerReferences(controllerOf(replicaSet))
                                .endMetadata()
                                .withSpec(template.getSpec())
                                .build())
                        .create());
            }
        }
        List<Pod> running = new ArrayList<>();
        int address = 10;
        for (Pod pod : created.stream()
                .sorted((a, b) ->
                        a.getMetadata().getName().compareTo(b.getMetadata().getName()))
                .toList()) {
            running.add(running(admin, pod, "10.244.1." + address++));
        }
        Pod db = demo.pods()
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("db-0")
                        .withLabels(Map.of("app", "db"))
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("postgres")
                        .withImage("postgres:17")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        running(admin, db, "10.244.1.20");
        Pod dns = admin.pods()
                .inNamespace("kube-system")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("coredns-0")
                        .withLabels(Map.of("k8s-app", "kube-dns"))
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("coredns")
                        .withImage("coredns/coredns:1.11.1")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        running(admin, dns, "10.244.0.2");
        return List.copyOf(running);
    }

    /** Running and ready with this address: no kubelet runs here, so the status is written as one would. */
    private static Pod running(KubernetesClient admin, Pod pod, String ip) {
        return admin.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .resource(new PodBuilder(pod)
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP(ip)
                        .addNewPodIP(ip)
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .endStatus()
                        .build())
                .updateStatus();
    }

    private static OwnerReference controllerOf(HasMetadata owner) {
        return new OwnerReferenceBuilder()
                .withApiVersion(owner.getApiVersion())
                .withKind(owner.getKind())
                .withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }
}
