package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
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

    ActionsApiServerIT(KubeApiServer kube) {
        this.kube = kube;
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        this.namespace = kube.createNamespace("shop");
        pod("web-1", "10.1.0.11", Map.of("app", "web"));
        pod("web-2", "10.1.0.12", Map.of("app", "web"));
        pod("db-0", "10.1.0.20", Map.of("app", "db"));
    }

    @AfterEach
    void deleteNamespace() {
        admin.namespaces().withName(namespace).delete();
    }

    private void pod(String name, String ip, Map<String, String> labels) {
        Pod pod = admin.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withLabels(labels)
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/" + name)
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        admin.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder(pod)
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP(ip)
                        .addNewPodIP(ip)
                        .endStatus()
                        .build())
                .updateStatus();
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
                .plan(new PlanInput(id, request, Safety.defaults()), new ClusterReader(stanch).read(namespace));
    }

    static Map<String, Object> block(String direction, String peerIp, @Nullable Integer port) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", direction);
        params.put("protocol", "tcp");
        params.put("peerIp", peerIp);
        if (port != null) {
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
        ActionPlan toDb = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("egress", "10.1.0.20", 5432));
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
        ActionPlan plan = plan(ActionKind.BLOCK_CONNECTION, "web-1", block("ingress", "10.1.0.20", 8080));
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
}
