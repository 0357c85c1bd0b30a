package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every action kind planned, applied, verified and rolled back on a real kube-apiserver (1.20) as a
 * service account bound only to the chart's ClusterRole — so the server's validation, RBAC and
 * set-based selectors are the real ones — and the cluster afterwards exactly as before.
 */
@ExtendWith(KubeApiServerExtension.class)
class ActionsApiServerIT {

    private final KubeApiServer kube;
    private final KubernetesClient admin;
    private final KubernetesClient stanch;
    private final String namespace;

    /** Each test's pods get addresses of their own: a deleted namespace's pods linger a while. */
    private static final java.util.concurrent.atomic.AtomicInteger SUBNETS =
            new java.util.concurrent.atomic.AtomicInteger();

    private final String net = "10.1." + SUBNETS.incrementAndGet() + ".";

    ActionsApiServerIT(KubeApiServer kube) {
        this.kube = kube;
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        this.namespace = kube.createNamespace("shop");
        // The token controller (1.20 makes token Secrets) finishes the new namespace first: a default
        // account's Secret appearing mid-test would read as something a rollback left behind.
        admin.secrets()
                .inNamespace(namespace)
                .informOnCondition(secrets -> secrets.stream()
                        .anyMatch(secret -> "default"
                                .equals(orEmpty(secret.getMetadata().getAnnotations())
                                        .get("kubernetes.io/service-account.name"))))
                .orTimeout(60, TimeUnit.SECONDS)
                .join();
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", net + "12", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "db-0", net + "20", Map.of("app", "db"));
    }

    @AfterEach
    void deleteNamespace() {
        admin.namespaces().withName(namespace).delete();
    }

    private ActionPlan plan(ActionKind kind, String pod, Map<String, Object> params) {
        Planning planning = planning(UUID.randomUUID().toString().substring(0, 8), kind, pod, params);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    private Planning planning(String id, ActionKind kind, String pod, Map<String, Object> params) {
        ActionRequest request = new ActionRequest(
                "it",
                "stage",
                1,
                kind,
                new Target(namespace, pod, null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        return ActionType.of(kind)
                .plan(new PlanInput(id, request, Safety.defaults()), CachedSnapshots.read(stanch, namespace));
    }

    static Map<String, Object> block(String direction, String peerIp, @Nullable Integer port) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", direction);
        params.put("protocol", "tcp");
        params.put("peerIp", peerIp);
        if (port != null && direction.equals("ingress")) {
            params.put("localPort", port); // the pod's port; the peer's is a client's ephemeral one
            params.put("peerPort", 51000);
        } else if (port != null) {
            params.put("peerPort", port);
        }
        return params;
    }

    /** What must be exactly as before after a rollback: every object's labels, annotations and spec. */
    private Map<String, Object> fingerprint() {
        Map<String, Object> state = new TreeMap<>();
        List<HasMetadata> objects = new java.util.ArrayList<>();
        objects.addAll(admin.pods().inNamespace(namespace).list().getItems());
        objects.addAll(
                admin.network().v1().networkPolicies().inAnyNamespace().list().getItems());
        objects.addAll(admin.rbac().roleBindings().inAnyNamespace().list().getItems());
        objects.addAll(admin.rbac().clusterRoleBindings().list().getItems());
        objects.addAll(admin.serviceAccounts().inNamespace(namespace).list().getItems());
        objects.addAll(admin.secrets().inNamespace(namespace).list().getItems());
        for (HasMetadata object : objects) {
            Map<String, Object> entry = new TreeMap<>();
            entry.put("uid", object.getMetadata().getUid());
            entry.put(
                    "labels",
                    String.valueOf(new TreeMap<>(orEmpty(object.getMetadata().getLabels()))));
            entry.put(
                    "annotations",
                    String.valueOf(new TreeMap<>(orEmpty(object.getMetadata().getAnnotations()))));
            Map<?, ?> content = admin.getKubernetesSerialization().convertValue(object, Map.class);
            entry.put("spec", String.valueOf(content.get("spec")));
            entry.put("subjects", String.valueOf(content.get("subjects")));
            state.put(
                    object.getKind() + " " + object.getMetadata().getNamespace() + "/"
                            + object.getMetadata().getName(),
                    entry);
        }
        return state;
    }

    private static Map<String, String> orEmpty(@Nullable Map<String, String> map) {
        return map == null ? Map.of() : map;
    }

    // ---------------------------------------------------------------- block-connection

    @Test
    void blockConnectionIsAppliedVerifiedAndRolledBackAsTheChartsRole() {
        Map<String, Object> before = fingerprint();
        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("egress", "203.0.113.7", 4444));
        assertThat(plan.params()).containsEntry("granularity", "address"); // 1.20: no endPort
        assertThat(executor.verify(plan)).isNotEmpty();

        assertThat(executor.apply(plan).changed()).hasSize(2);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        NetworkPolicy created = admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withName("stanch-block-" + plan.actionId())
                .get();
        NetworkPolicy planned = (NetworkPolicy) plan.steps().stream()
                .filter(s -> s instanceof dev.stanch.action.Step.Create)
                .map(s -> ((dev.stanch.action.Step.Create) s).manifest())
                .findFirst()
                .orElseThrow();
        // The server kept every field (an absent list reads back as an empty one: compare as JSON).
        var json = admin.getKubernetesSerialization();
        assertThat(json.convertValue(created.getSpec(), Map.class))
                .isEqualTo(json.convertValue(planned.getSpec(), Map.class));
        // The set-based selector the sibling pods are told apart by, evaluated by the real server.
        assertThat(admin.pods()
                        .inNamespace(namespace)
                        .withLabelSelector(planned.getSpec().getPodSelector())
                        .list()
                        .getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly("web-1");

        assertThat(executor.rollback(plan).changed()).hasSize(2);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(executor.leftovers(plan.actionId())).isEmpty();
        assertThat(fingerprint()).isEqualTo(before);
    }

    @Test
    void twoBlocksOfOnePodWithAPodPeerRollBackAlone() {
        Map<String, Object> before = fingerprint();
        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan toDb = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("egress", net + "20", 5432));
        executor.apply(toDb);
        ActionPlan toC2 = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("egress", "203.0.113.7", 4444));
        executor.apply(toC2);
        assertThat(executor.verify(toDb)).isEmpty();
        assertThat(executor.verify(toC2)).isEmpty();
        // Every pod but the peer, through the DoesNotExist selector of the block policies.
        NetworkPolicy policy = admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withName("stanch-block-" + toC2.actionId())
                .get();
        assertThat(admin.pods()
                        .inNamespace(namespace)
                        .withLabelSelector(policy.getSpec()
                                .getEgress()
                                .getFirst()
                                .getTo()
                                .get(2)
                                .getPodSelector())
                        .list()
                        .getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("web-1", "web-2");

        executor.rollback(toDb);
        assertThat(executor.verify(toC2)).isEmpty();
        assertThat(executor.leftovers(toDb.actionId())).isEmpty();
        executor.rollback(toC2);
        assertThat(executor.leftovers(toC2.actionId())).isEmpty();
        assertThat(fingerprint()).isEqualTo(before);
    }

    @Test
    void aRollbackAfterACrashMidwayLeavesNothingBehind() {
        Map<String, Object> before = fingerprint();
        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("ingress", net + "20", 8080));
        // The process died after the first two steps: the label and the peer's label, no policy.
        ActionPlan cut = new ActionPlan(
                plan.actionId(),
                plan.kind(),
                plan.target(),
                plan.params(),
                plan.summary(),
                plan.steps().subList(0, 2),
                plan.undo(),
                plan.preImages(),
                plan.reversibility(),
                plan.connectivityLost(),
                plan.connectivityRemaining(),
                plan.warnings());
        executor.apply(cut);
        assertThat(executor.leftovers(plan.actionId())).hasSize(2);
        executor.rollback(plan);
        assertThat(executor.leftovers(plan.actionId())).isEmpty();
        assertThat(fingerprint()).isEqualTo(before);
    }

    @Test
    void aFlowThatAnotherPolicyAllowsIsRefusedWithTheReason() {
        admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .resource(new NetworkPolicyBuilder()
                        .withNewMetadata()
                        .withName("web-egress")
                        .endMetadata()
                        .withNewSpec()
                        .withNewPodSelector()
                        .addNewMatchExpression()
                        .withKey("app")
                        .withOperator("In")
                        .withValues("web", "api")
                        .endMatchExpression()
                        .endPodSelector()
                        .withPolicyTypes("Egress")
                        .addNewEgress()
                        .addNewTo()
                        .withNewIpBlock()
                        .withCidr("203.0.113.0/24")
                        .endIpBlock()
                        .endTo()
                        .endEgress()
                        .endSpec()
                        .build())
                .create();
        Planning planning =
                planning("refused1", ActionKind.BLOCK_CONNECTION, "web-1", block("egress", "203.0.113.7", 443));
        assertThat(planning).isInstanceOf(Planning.Refused.class);
        assertThat(planning.toString())
                .contains("refused (unsupported)")
                .contains("NetworkPolicy " + namespace + "/web-egress");
    }

    // ---------------------------------------------------------------- revoke-token

    /** A pod running as {@code account}, with a Role that lets the account list pods, bound three ways. */
    private void accountWithPermissions(String account, String pod) {
        admin.serviceAccounts()
                .inNamespace(namespace)
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(account)
                        .endMetadata()
                        .build())
                .create();
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
                        .withName("readers")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", "pod-reader")
                        .addNewSubject()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("User")
                        .withName("alice")
                        .endSubject()
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(account)
                        .withNamespace(namespace)
                        .endSubject()
                        .addNewSubject()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("Group")
                        .withName("shop-devs")
                        .endSubject()
                        .build())
                .create();
        admin.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName(namespace + "-" + account + "-view")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(account)
                        .withNamespace(namespace)
                        .endSubject()
                        .build())
                .create();
        Pod created = admin.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(pod)
                        .withLabels(Map.of("app", "checkout"))
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName(account)
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/checkout")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        assertThat(created.getSpec().getServiceAccountName()).isEqualTo(account);
    }

    private boolean mayListPods(KubernetesClient client) {
        try {
            client.pods().inNamespace(namespace).list();
            return true;
        } catch (KubernetesClientException e) {
            assertThat(e.getCode()).isEqualTo(403);
            return false;
        }
    }

    @Test
    void revokeTokenStripsTheAccountAndRollbackPutsItBackInPlace() {
        accountWithPermissions("checkout", "checkout-1");
        // The controller-manager gives the account a legacy token Secret (1.20 still does).
        await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> admin.serviceAccounts()
                                        .inNamespace(namespace)
                                        .withName("checkout")
                                        .get()
                                        .getSecrets()
                                != null
                        && !admin.serviceAccounts()
                                .inNamespace(namespace)
                                .withName("checkout")
                                .get()
                                .getSecrets()
                                .isEmpty());
        String legacyName = admin.serviceAccounts()
                .inNamespace(namespace)
                .withName("checkout")
                .get()
                .getSecrets()
                .getFirst()
                .getName();
        Map<String, Object> before = fingerprint();
        KubernetesClient asAccount = kube.clientFor(namespace, "checkout");
        assertThat(mayListPods(asAccount)).isTrue();

        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = plan(ActionKind.REVOKE_TOKEN, "checkout-1", Map.of());
        assertThat(plan.steps())
                .extracting(dev.stanch.action.Step::describe)
                .contains("remove ServiceAccount " + namespace + "/checkout from RoleBinding " + namespace + "/readers")
                .anySatisfy(step -> assertThat(step).startsWith("delete Secret " + namespace + "/" + legacyName));
        assertThat(plan.fullyReversible()).isFalse(); // a 1.20 server: the legacy token is deleted

        executor.apply(plan);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        // The server, not the plan, says the account lost its permissions.
        assertThat(mayListPods(asAccount)).isFalse();
        assertThat(admin.rbac()
                        .roleBindings()
                        .inNamespace(namespace)
                        .withName("readers")
                        .get()
                        .getSubjects())
                .extracting(subject -> subject.getKind() + " " + subject.getName())
                .containsExactly("User alice", "Group shop-devs");
        assertThat(admin.secrets().inNamespace(namespace).withName(legacyName).get())
                .isNull();

        executor.rollback(plan);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(mayListPods(asAccount)).isTrue();
        assertThat(admin.rbac()
                        .roleBindings()
                        .inNamespace(namespace)
                        .withName("readers")
                        .get()
                        .getSubjects())
                .extracting(subject -> subject.getKind() + " " + subject.getName())
                .containsExactly("User alice", "ServiceAccount checkout", "Group shop-devs");
        // Exactly as before, but for what the plan said cannot be undone: the deleted legacy token
        // (the controller-manager issues the account a new one).
        Map<String, Object> after = fingerprint();
        after.keySet().removeIf(key -> key.startsWith("Secret ") || key.startsWith("ServiceAccount "));
        before.keySet().removeIf(key -> key.startsWith("Secret ") || key.startsWith("ServiceAccount "));
        assertThat(after).isEqualTo(before);
        asAccount.close();
    }

    @Test
    void rotatingTheAccountKillsItsBoundTokens() {
        accountWithPermissions("payments", "payments-1");
        KubernetesClient asAccount = kube.clientFor(namespace, "payments");
        assertThat(mayListPods(asAccount)).isTrue();
        String oldUid = admin.serviceAccounts()
                .inNamespace(namespace)
                .withName("payments")
                .get()
                .getMetadata()
                .getUid();

        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = plan(ActionKind.REVOKE_TOKEN, "payments-1", Map.of("rotateServiceAccount", true));
        executor.apply(plan);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(admin.serviceAccounts()
                        .inNamespace(namespace)
                        .withName("payments")
                        .get()
                        .getMetadata()
                        .getUid())
                .isNotEqualTo(oldUid);
        // A token bound to the old uid no longer authenticates at all: 401, not 403 — once the API
        // server's token cache (10 s for a success) has let go of it.
        await().atMost(java.time.Duration.ofSeconds(60))
                .untilAsserted(() -> assertThatThrownBy(
                                () -> asAccount.pods().inNamespace(namespace).list())
                        .isInstanceOf(KubernetesClientException.class)
                        .extracting(e -> ((KubernetesClientException) e).getCode())
                        .isEqualTo(401));
        asAccount.close();

        executor.rollback(plan); // the bindings come back; the old tokens stay dead
        try (KubernetesClient fresh = kube.clientFor(namespace, "payments")) {
            assertThat(mayListPods(fresh)).isTrue();
        }
    }

    // ---------------------------------------------------------------- quarantine-pod

    @Test
    void quarantineDetachesAPodThatItsReplicaSetReplacesAndRollbackReadopts() {
        admin.apps()
                .replicaSets()
                .inNamespace(namespace)
                .resource(new ReplicaSetBuilder()
                        .withNewMetadata()
                        .withName("api")
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(2)
                        .withNewSelector()
                        .withMatchLabels(Map.of("app", "api"))
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .withLabels(Map.of("app", "api", "version", "v1"))
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/api")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        await().atMost(java.time.Duration.ofSeconds(60)).until(() -> apiPods().size() == 2);
        int address = 30;
        for (Pod pod : apiPods()) {
            ready(pod, net + address++);
        }
        await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> Integer.valueOf(2)
                        .equals(admin.apps()
                                .replicaSets()
                                .inNamespace(namespace)
                                .withName("api")
                                .get()
                                .getStatus()
                                .getReadyReplicas()));
        String target = apiPods().getFirst().getMetadata().getName();
        Map<String, String> labelsBefore = admin.pods()
                .inNamespace(namespace)
                .withName(target)
                .get()
                .getMetadata()
                .getLabels();

        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = plan(ActionKind.QUARANTINE_POD, target, Map.of("detach", true));
        executor.apply(plan);
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        Pod quarantined = admin.pods().inNamespace(namespace).withName(target).get();
        assertThat(quarantined.getMetadata().getLabels())
                .containsEntry("stanch.dev/quarantine", plan.actionId())
                .containsEntry("version", "v1")
                .doesNotContainKey("app");
        assertThat(quarantined.getMetadata().getAnnotations())
                .containsEntry("stanch.dev/detached-labels", "{\"app\":\"api\"}");
        // The real ReplicaSet controller orphans the detached pod and starts a replacement.
        await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> apiPods().size() == 2
                        && admin.pods()
                                .inNamespace(namespace)
                                .withName(target)
                                .get()
                                .getMetadata()
                                .getOwnerReferences()
                                .isEmpty());
        assertThat(apiPods()).extracting(p -> p.getMetadata().getName()).doesNotContain(target);

        executor.rollback(plan);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(executor.leftovers(plan.actionId())).isEmpty();
        Pod restored = admin.pods().inNamespace(namespace).withName(target).get();
        assertThat(restored.getMetadata().getLabels()).isEqualTo(labelsBefore);
        assertThat(restored.getMetadata().getAnnotations()).doesNotContainKey("stanch.dev/detached-labels");
        // Back under the selector: the ReplicaSet adopts it again and removes one replica, as the
        // plan warned.
        await().atMost(java.time.Duration.ofSeconds(60)).until(() -> apiPods().size() == 2);
        assertThat(admin.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace(namespace)
                        .list()
                        .getItems())
                .isEmpty();
    }

    @Test
    void quarantineRefusesMoreThanTheShareOfAWorkload() {
        Planning planning = planning("share1", ActionKind.QUARANTINE_POD, "web-1", Map.of());
        // web-1 has no owner: no share applies; it is planned.
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        ActionExecutor executor = new ActionExecutor(stanch);
        ActionPlan plan = ((Planning.Planned) planning).plan();
        Map<String, Object> before = fingerprint();
        executor.apply(plan);
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(planning("share2", ActionKind.QUARANTINE_POD, "web-1", Map.of())
                        .toString())
                .contains("already-in-effect");
        executor.rollback(plan);
        assertThat(executor.leftovers(plan.actionId())).isEmpty();
        assertThat(fingerprint()).isEqualTo(before);
    }

    private List<Pod> apiPods() {
        return admin.pods().inNamespace(namespace).withLabel("app", "api").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
    }

    private void ready(Pod pod, String ip) {
        admin.pods()
                .inNamespace(namespace)
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
}
