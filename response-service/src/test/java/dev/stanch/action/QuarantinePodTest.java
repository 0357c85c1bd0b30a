package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.stanch.detection.Target;
import dev.stanch.netpol.Endpoint;
import dev.stanch.netpol.NetpolEngine;
import dev.stanch.netpol.Protocol;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * quarantine-pod on hand-built snapshots: the deny-all it creates, what the engine says remains,
 * detaching, the share guardrail, refusals, verification and rollback.
 */
class QuarantinePodTest {

    static final ServerInfo OLD_SERVER = ServerInfo.of(1, 20);
    static final ServerInfo ANP_SERVER = ServerInfo.of(1, 31, ServerInfo.ADMIN_NETWORK_POLICY);
    static final String WEB_A = "web-7d9f-aaaaa";
    private static final String WEB_B = "web-7d9f-bbbbb";

    // ------------------------------------------------------------------ the policies

    @Test
    void theNetworkPolicyDeniesAllIngressAndEgressOfTheLabelledPod() {
        ActionPlan plan = planned(input("q1", WEB_A, false), Fixture.cluster(OLD_SERVER));

        assertThat(plan.steps())
                .extracting(Step::describe)
                .containsExactly(
                        "create NetworkPolicy shop/stanch-quarantine-q1",
                        "relabel Pod shop/web-7d9f-aaaaa: +label stanch.dev/quarantine=q1"
                                + " +annotation stanch.dev/quarantined-from");
        assertThat(yaml(((Step.Create) plan.steps().getFirst()).manifest())).isEqualTo("""
                        ---
                        apiVersion: "networking.k8s.io/v1"
                        kind: "NetworkPolicy"
                        metadata:
                          labels:
                            app.kubernetes.io/managed-by: "stanch"
                            stanch.dev/action-id: "q1"
                          name: "stanch-quarantine-q1"
                          namespace: "shop"
                        spec:
                          podSelector:
                            matchLabels:
                              stanch.dev/quarantine: "q1"
                          policyTypes:
                          - "Ingress"
                          - "Egress"
                        """);
        assertThat(plan.params()).containsExactly(entry("detach", false), entry("adminPolicy", "none"));
        assertThat(plan.preImages())
                .containsExactly(Fixture.cluster(OLD_SERVER).pod("shop", WEB_A).orElseThrow());
        assertThat(plan.fullyReversible()).isTrue();
    }

    @Test
    void anotherPolicyThatSelectsThePodStillLetsItsIngressIn() {
        ActionPlan plan = planned(input("q1", WEB_A, false), Fixture.cluster(OLD_SERVER));

        assertThat(plan.connectivityLost())
                .containsExactly(
                        "shop/web-7d9f-aaaaa[Pod] => 0.0.0.0-255.255.255.255[External] : lost All Connections",
                        "shop/web-7d9f-aaaaa[Pod] => ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : lost All"
                                + " Connections",
                        "shop/web-7d9f-aaaaa[Pod] => shop/frontend[Pod] : lost All Connections");
        // NetworkPolicies add up: web-ingress selects the pod by app=web and admits the frontend.
        assertThat(plan.connectivityRemaining())
                .containsExactly("shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod] : TCP 8080");
        assertThat(plan.warnings())
                .contains(
                        "1 connection(s) of the pod remain, because other policies still allow them: NetworkPolicy"
                                + " shop/web-ingress (NetworkPolicies add up; only an admin-tier policy could deny"
                                + " them)",
                        "the pod stays an endpoint of Service shop/web: what they send it is dropped until rollback"
                                + " (detach takes it out of them)");
        assertThat(plan.warnings().getFirst()).contains("conntrack", "Calico", "Antrea");
    }

    @Test
    void theAdminNetworkPolicyDeniesWhatNetworkPoliciesWouldAllow() {
        ActionPlan plan = planned(input("q1", WEB_A, false), Fixture.cluster(ANP_SERVER));

        assertThat(plan.steps())
                .extracting(Step::describe)
                .containsExactly(
                        "create NetworkPolicy shop/stanch-quarantine-q1",
                        "create AdminNetworkPolicy stanch-quarantine-q1",
                        "relabel Pod shop/web-7d9f-aaaaa: +label stanch.dev/quarantine=q1"
                                + " +annotation stanch.dev/quarantined-from");
        assertThat(yaml(((Step.Create) plan.steps().get(1)).manifest())).isEqualTo("""
                        ---
                        apiVersion: "policy.networking.k8s.io/v1alpha1"
                        kind: "AdminNetworkPolicy"
                        metadata:
                          labels:
                            app.kubernetes.io/managed-by: "stanch"
                            stanch.dev/action-id: "q1"
                          name: "stanch-quarantine-q1"
                        spec:
                          priority: 0
                          subject:
                            pods:
                              namespaceSelector:
                                matchLabels:
                                  kubernetes.io/metadata.name: "shop"
                              podSelector:
                                matchLabels:
                                  stanch.dev/quarantine: "q1"
                          ingress:
                          - name: "stanch-quarantine-deny-ingress"
                            action: "Deny"
                            from:
                            - namespaces: {}
                          egress:
                          - name: "stanch-quarantine-deny-egress"
                            action: "Deny"
                            to:
                            - namespaces: {}
                            - nodes: {}
                            - networks:
                              - "0.0.0.0/0"
                              - "::/0"
                        """);
        assertThat(plan.connectivityRemaining()).isEmpty();
        assertThat(plan.connectivityLost()).contains("shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod] : lost TCP 8080");
        assertThat(plan.params()).containsEntry("adminPolicy", "AdminNetworkPolicy");
        assertThat(plan.undo())
                .extracting(Step::describe)
                .containsExactly(
                        "delete NetworkPolicy shop/stanch-quarantine-q1 (created by this action)",
                        "delete AdminNetworkPolicy stanch-quarantine-q1 (created by this action)",
                        "relabel Pod shop/web-7d9f-aaaaa: -label stanch.dev/quarantine"
                                + " -annotation stanch.dev/quarantined-from");
    }

    @Test
    void anEarlierBlockOfThePodAddsNothingBackWhileItIsInQuarantine() {
        ClusterSnapshot start = Fixture.cluster(OLD_SERVER);
        Map<String, Object> params = new java.util.LinkedHashMap<>();
        params.put("granularity", "address");
        params.put("direction", "egress");
        params.put("protocol", "tcp");
        params.put("peerIp", "203.0.113.7");
        PlanInput blockInput = new PlanInput(
                "b1",
                new dev.stanch.playbook.ActionRequest(
                        "outbound-c2",
                        "cut",
                        1,
                        dev.stanch.playbook.ActionKind.BLOCK_CONNECTION,
                        new dev.stanch.detection.Target("shop", WEB_A, null),
                        params,
                        dev.stanch.playbook.Approval.AUTO,
                        null,
                        dev.stanch.playbook.OnApprovalTimeout.REJECT,
                        null,
                        false),
                Safety.defaults());
        ActionPlan block = ((Planning.Planned) BlockConnection.INSTANCE.plan(blockInput, start)).plan();
        ClusterSnapshot blocked = ClusterSimulator.apply(start, block.steps());

        ActionPlan alone = planned(input("q1", WEB_A, false), start);
        ActionPlan afterBlock = planned(input("q2", WEB_A, false), blocked);

        assertThat(afterBlock.connectivityRemaining()).isEqualTo(alone.connectivityRemaining());
        assertThat(afterBlock.warnings())
                .anySatisfy(w ->
                        assertThat(w).startsWith("the pod carries the labels of earlier blocks (block.stanch.dev/b1)"));
        ClusterSnapshot quarantined = ClusterSimulator.apply(blocked, afterBlock.steps());
        assertThat(QuarantinePod.INSTANCE.verify(afterBlock, quarantined)).isEmpty();
        assertThat(ClusterSimulator.apply(quarantined, afterBlock.undo())).isEqualTo(blocked);
    }

    @Test
    void quarantinedPodsOrphanedByADetachStillCountTowardTheirWorkloadsShare() {
        // Four replicas; two were quarantined with detach and orphaned by their controller (a
        // StatefulSet starts no replacement while they keep their names). Only two serve: a third
        // quarantine would take 3 of 4 out, over the share of 0.5.
        ClusterSnapshot start = Fixture.cluster(OLD_SERVER);
        List<Pod> pods = new java.util.ArrayList<>();
        for (String name : List.of("web-7d9f-aaaaa", "web-7d9f-bbbbb")) {
            pods.add(new PodBuilder(Fixture.webPod(name, name.endsWith("a") ? "10.244.1.10" : "10.244.1.11", true))
                    .editMetadata()
                    .withOwnerReferences()
                    .withLabels(Map.of("stanch.dev/quarantine", "earlier", "version", "v2"))
                    .addToAnnotations("stanch.dev/quarantined-from", "uid-web-7d9f")
                    .endMetadata()
                    .build());
        }
        pods.add(Fixture.webPod("web-7d9f-ccccc", "10.244.1.12", true));
        pods.add(Fixture.webPod("web-7d9f-ddddd", "10.244.1.13", true));
        ClusterSnapshot cluster = new ClusterSnapshot(
                start.server(),
                start.namespaces(),
                pods,
                start.networkPolicies(),
                start.adminPolicies(),
                start.ciliumPolicies(),
                start.workloads(),
                start.services(),
                start.serviceAccounts(),
                start.roleBindings(),
                start.clusterRoleBindings(),
                start.tokenSecrets());
        Planning third = QuarantinePod.INSTANCE.plan(input("q3", "web-7d9f-ccccc", false), cluster);
        assertThat(third).isInstanceOf(Planning.Refused.class);
        assertThat(((Planning.Refused) third).reason()).isEqualTo(Refusal.LIMIT);
        assertThat(((Planning.Refused) third).message()).contains("would put 3 of the 4 ready pods");
    }

    @Test
    void onACiliumClusterNoAdminTierPolicyIsTrustedToHold() {
        ServerInfo cilium = ServerInfo.of(1, 31, ServerInfo.ADMIN_NETWORK_POLICY, ServerInfo.CILIUM_NETWORK_POLICY);
        ActionPlan plan = planned(input("q9", WEB_A, false), Fixture.cluster(cilium));
        assertThat(plan.params()).containsEntry("adminPolicy", "none");
        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).startsWith("the cluster runs Cilium"));
    }

    @Test
    void theAdminNetworkPolicyGoesBelowEveryExistingPriority() {
        ClusterSnapshot cluster = Fixture.with(
                Fixture.cluster(ANP_SERVER),
                List.of(
                        Fixture.adminPolicy(
                                "AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", "audit", 10, null),
                        Fixture.adminPolicy(
                                "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2", "cnp", 7, "Admin"),
                        Fixture.adminPolicy(
                                "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2", "floor", 2, "Baseline")));

        ActionPlan plan = planned(input("q1", WEB_A, false), cluster);

        assertThat(priority(plan)).isEqualTo(6);
        assertThat(plan.connectivityRemaining()).isEmpty();
        assertThat(plan.warnings()).noneMatch(warning -> warning.contains("priority 0"));
    }

    @Test
    void aTieAtPriorityZeroIsAWarningAndTheEngineSaysWhatMayLeak() {
        // Equal priorities have no defined order; the engine evaluates "allow-frontend" first (by name).
        ClusterSnapshot cluster = Fixture.with(Fixture.cluster(ANP_SERVER), List.of(Fixture.allowFrontendAtZero()));

        ActionPlan plan = planned(input("q1", WEB_A, false), cluster);

        assertThat(priority(plan)).isZero();
        assertThat(plan.warnings())
                .contains(
                        "the AdminNetworkPolicy takes priority 0, which AdminNetworkPolicy allow-frontend has too: the"
                                + " API leaves the order of equal priorities undefined, so an Allow there may win over the"
                                + " quarantine's Deny");
        assertThat(plan.connectivityRemaining())
                .containsExactly("shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod] : All Connections");
        assertThat(plan.warnings())
                .contains("1 connection(s) of the pod remain, because other policies still allow them:"
                        + " AdminNetworkPolicy allow-frontend");
    }

    @Test
    void aNamespaceWithoutItsNameLabelGetsNoAdminNetworkPolicy() {
        ClusterSnapshot cluster = Fixture.cluster(ANP_SERVER);
        cluster = new ClusterSnapshot(
                cluster.server(),
                List.of(Fixture.namespace("shop", false)),
                cluster.pods(),
                cluster.networkPolicies(),
                cluster.adminPolicies(),
                cluster.ciliumPolicies(),
                cluster.workloads(),
                cluster.services(),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        ActionPlan plan = planned(input("q1", WEB_A, false), cluster);

        assertThat(plan.steps()).extracting(step -> step.object().kind()).containsExactly("NetworkPolicy", "Pod");
        assertThat(plan.params()).containsEntry("adminPolicy", "none");
        assertThat(plan.warnings())
                .contains("namespace shop has no label kubernetes.io/metadata.name=shop (Kubernetes sets it from 1.21"
                        + " on): no admin-tier policy can select the pod by namespace, so only the NetworkPolicy is"
                        + " created and other NetworkPolicies still add their rules");
        assertThat(plan.connectivityRemaining())
                .containsExactly("shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod] : TCP 8080");
    }

    @Test
    void theAdminNetworkPolicyCannotDenyIngressFromOutsideTheCluster() {
        // v1alpha1 ingress peers are pods and namespaces only: an ipBlock rule elsewhere still admits.
        NetworkPolicy fromAnywhere = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("web-public")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "web"))
                .endPodSelector()
                .addNewIngress()
                .addNewFrom()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .endIpBlock()
                .endFrom()
                .endIngress()
                .endSpec()
                .build();
        ClusterSnapshot base = Fixture.cluster(ANP_SERVER);
        List<NetworkPolicy> policies = new ArrayList<>(base.networkPolicies());
        policies.add(fromAnywhere);
        ClusterSnapshot cluster = new ClusterSnapshot(
                base.server(),
                base.namespaces(),
                base.pods(),
                policies,
                base.adminPolicies(),
                base.ciliumPolicies(),
                base.workloads(),
                base.services(),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        ActionPlan plan = planned(input("q1", WEB_A, false), cluster);

        assertThat(plan.connectivityRemaining())
                .containsExactly("0.0.0.0-255.255.255.255[External] => shop/web-7d9f-aaaaa[Pod] : All Connections");
        assertThat(plan.warnings())
                .contains("1 connection(s) of the pod remain, because other policies still allow them: NetworkPolicy"
                        + " shop/web-public");
    }

    // ------------------------------------------------------------------ detach

    @Test
    void detachMovesExactlyTheLabelsItsServicesAndOwnerSelectOn() {
        ClusterSnapshot cluster = Fixture.cluster(OLD_SERVER);
        ActionPlan plan = planned(input("q1", WEB_A, true), cluster);

        // Service web selects app; ReplicaSet web-7d9f selects app, pod-template-hash (matchLabels) and
        // tier (matchExpressions); version is selected by nothing and stays.
        Step.Relabel relabel = (Step.Relabel) plan.steps().getLast();
        assertThat(relabel.setLabels()).containsExactly(entry("stanch.dev/quarantine", "q1"));
        assertThat(relabel.removeLabels()).containsExactlyInAnyOrder("app", "pod-template-hash", "tier");
        assertThat(relabel.setAnnotations())
                .containsOnly(
                        entry(
                                "stanch.dev/detached-labels",
                                "{\"app\":\"web\",\"pod-template-hash\":\"7d9f\",\"tier\":\"backend\"}"),
                        // so that the orphaned pod still counts toward its ReplicaSet's share
                        entry("stanch.dev/quarantined-from", "uid-web-7d9f"));
        Pod after =
                ClusterSimulator.apply(cluster, plan.steps()).pod("shop", WEB_A).orElseThrow();
        assertThat(after.getMetadata().getLabels())
                .containsExactlyInAnyOrderEntriesOf(Map.of("stanch.dev/quarantine", "q1", "version", "v2"));

        // Without app=web, web-ingress no longer selects the pod: only the quarantine policy isolates it,
        // so nothing remains even without an AdminNetworkPolicy.
        NetpolEngine engine =
                NetpolEngine.index(ClusterSimulator.apply(cluster, plan.steps()).networkState());
        var verdict = engine.allowed(Endpoint.pod("shop", "frontend"), Endpoint.pod("shop", WEB_A), Protocol.TCP, 8080);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.ingress().isolatedBy())
                .extracting(Object::toString)
                .containsExactly("NetworkPolicy shop/stanch-quarantine-q1");
        assertThat(plan.connectivityRemaining()).isEmpty();
        assertThat(plan.connectivityLost()).contains("shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod] : lost TCP 8080");

        assertThat(plan.summary())
                .isEqualTo("Quarantine pod shop/web-7d9f-aaaaa: keep it running for forensics and deny all its ingress"
                        + " and egress with NetworkPolicy shop/stanch-quarantine-q1 on the label"
                        + " stanch.dev/quarantine; detach it from Service shop/web and ReplicaSet shop/web-7d9f by"
                        + " moving labels app, pod-template-hash, tier into the annotation"
                        + " stanch.dev/detached-labels.");
        assertThat(plan.warnings())
                .contains(
                        "the pod leaves the endpoints of Service shop/web: they stop sending it traffic",
                        "ReplicaSet shop/web-7d9f no longer matches the pod: it orphans it and starts a replacement;"
                                + " the pod stays for forensics",
                        "on rollback ReplicaSet shop/web-7d9f adopts the pod again and may then remove one replica,"
                                + " not necessarily this one");
        assertThat(plan.reversibility())
                .extracting(Reversibility::note)
                .contains("rollback puts the labels back with their values and removes the annotation; ReplicaSet"
                        + " shop/web-7d9f adopts the pod again and may then remove a replica (not necessarily this"
                        + " one)");
    }

    @Test
    void detachSaysWhatItCannotDetach() {
        ClusterSnapshot base = Fixture.cluster(OLD_SERVER);
        Service manual = Fixture.service("manual", Map.of());
        ClusterSnapshot cluster = new ClusterSnapshot(
                base.server(),
                base.namespaces(),
                base.pods(),
                base.networkPolicies(),
                base.adminPolicies(),
                base.ciliumPolicies(),
                List.of(), // the ReplicaSet is not in the snapshot
                List.of(Fixture.service("web", Map.of("app", "web")), manual),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        ActionPlan plan = planned(input("q1", WEB_A, true), cluster);

        assertThat(((Step.Relabel) plan.steps().getLast()).removeLabels()).containsExactly("app");
        assertThat(plan.warnings())
                .contains(
                        "Service shop/manual selects no pods by label (no selector): its endpoints are kept by hand"
                                + " or by another controller, so detaching cannot take the pod out of them",
                        "ReplicaSet shop/web-7d9f is not in the snapshot: its selector is unknown, so the pod may stay"
                                + " under its control");
        assertThat(plan.summary())
                .endsWith("detach it from Service shop/web by moving labels app into the annotation"
                        + " stanch.dev/detached-labels.");
    }

    @Test
    void undoRestoresTheLabelsAndAnnotationsExactly() {
        Pod annotated = new PodBuilder(Fixture.webPod(WEB_A, "10.244.1.10", true))
                .editMetadata()
                .withAnnotations(Map.of("kubectl.kubernetes.io/restartedAt", "2025-01-01T00:00:00Z"))
                .endMetadata()
                .build();
        ClusterSnapshot cluster = Fixture.replace(Fixture.cluster(OLD_SERVER), annotated);

        for (boolean detach : List.of(false, true)) {
            ActionPlan plan = planned(input("q1", WEB_A, detach), cluster);
            ClusterSnapshot applied = ClusterSimulator.apply(cluster, plan.steps());
            ClusterSnapshot rolledBack = ClusterSimulator.apply(applied, plan.undo());

            Pod restored = rolledBack.pod("shop", WEB_A).orElseThrow();
            assertThat(restored.getMetadata().getLabels())
                    .isEqualTo(annotated.getMetadata().getLabels());
            assertThat(restored.getMetadata().getAnnotations())
                    .isEqualTo(annotated.getMetadata().getAnnotations());
            assertThat(rolledBack.networkPolicies()).isEqualTo(cluster.networkPolicies());
        }
    }

    // ------------------------------------------------------------------ the share of a workload

    @Test
    void oneOfTwoReadyReplicasMayBeQuarantined() {
        planned(input("q1", WEB_A, false), Fixture.cluster(OLD_SERVER));
    }

    @Test
    void theSecondOfTwoReadyReplicasIsRefused() {
        Pod inQuarantine = new PodBuilder(Fixture.webPod(WEB_B, "10.244.1.11", true))
                .editMetadata()
                .addToLabels("stanch.dev/quarantine", "q0")
                .endMetadata()
                .build();
        ClusterSnapshot cluster = Fixture.replace(Fixture.cluster(OLD_SERVER), inQuarantine);

        assertThat(QuarantinePod.INSTANCE.plan(input("q1", WEB_A, false), cluster))
                .isEqualTo(new Planning.Refused(
                        Refusal.LIMIT,
                        "quarantining pod shop/web-7d9f-aaaaa would put 2 of the 2 ready pods of ReplicaSet"
                                + " shop/web-7d9f in quarantine; at most 1 may be (maxQuarantineShare 0.5)"));
    }

    @Test
    void theOnlyReadyReplicaIsRefused() {
        // 1 > 0.5 × 1: a workload with one ready replica keeps it.
        ClusterSnapshot cluster =
                Fixture.replace(Fixture.cluster(OLD_SERVER), Fixture.webPod(WEB_B, "10.244.1.11", false));

        assertThat(QuarantinePod.INSTANCE.plan(input("q1", WEB_A, false), cluster))
                .isEqualTo(new Planning.Refused(
                        Refusal.LIMIT,
                        "quarantining pod shop/web-7d9f-aaaaa would put 1 of the 1 ready pods of ReplicaSet"
                                + " shop/web-7d9f in quarantine; at most 0 may be (maxQuarantineShare 0.5)"));
        // The replica that is not ready takes nothing away from what serves: it may always go.
        planned(input("q1", WEB_B, false), cluster);
    }

    @Test
    void theShareIsComparedInExactDecimals() {
        // 29 of 50 at share 0.58 is exactly the limit; in doubles 0.58 × 50 is 28.999999999999996.
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Pod pod = Fixture.webPod("web-7d9f-" + i, "10.244.2." + i, true);
            pods.add(
                    i < 28
                            ? new PodBuilder(pod)
                                    .editMetadata()
                                    .addToLabels("stanch.dev/quarantine", "q0")
                                    .endMetadata()
                                    .build()
                            : pod);
        }
        ClusterSnapshot base = Fixture.cluster(OLD_SERVER);
        ClusterSnapshot cluster = new ClusterSnapshot(
                base.server(),
                base.namespaces(),
                pods,
                base.networkPolicies(),
                base.adminPolicies(),
                base.ciliumPolicies(),
                base.workloads(),
                base.services(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
        Safety safety =
                new Safety(Safety.DEFAULT_PROTECTED, "stanch", Map.of("app.kubernetes.io/name", "stanch"), 0.58);
        PlanInput input = new PlanInput("q1", input("q1", "web-7d9f-28", false).request(), safety);
        PlanInput next = new PlanInput("q2", input("q2", "web-7d9f-29", false).request(), safety);

        ClusterSnapshot after =
                ClusterSimulator.apply(cluster, planned(input, cluster).steps());
        assertThat(QuarantinePod.INSTANCE.plan(next, after))
                .isEqualTo(new Planning.Refused(
                        Refusal.LIMIT,
                        "quarantining pod shop/web-7d9f-29 would put 30 of the 50 ready pods of ReplicaSet"
                                + " shop/web-7d9f in quarantine; at most 29 may be (maxQuarantineShare 0.58)"));
    }

    @Test
    void aPodWithoutAControllerHasNoShareToKeep() {
        // The frontend is a bare pod; its own egress policy admits it to web, which is named as a
        // workload because both of its pods keep the same.
        NetworkPolicy frontendEgress = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("frontend-egress")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "frontend"))
                .endPodSelector()
                .addNewEgress()
                .addNewTo()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "web"))
                .endPodSelector()
                .endTo()
                .endEgress()
                .withPolicyTypes("Egress")
                .endSpec()
                .build();
        ClusterSnapshot base = Fixture.cluster(OLD_SERVER);
        ClusterSnapshot cluster = new ClusterSnapshot(
                base.server(),
                base.namespaces(),
                base.pods(),
                List.of(Fixture.webIngress(), frontendEgress),
                base.adminPolicies(),
                base.ciliumPolicies(),
                base.workloads(),
                base.services(),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        ActionPlan plan = planned(input("q1", "frontend", false), cluster);

        assertThat(plan.connectivityLost())
                .containsExactly(
                        "0.0.0.0-255.255.255.255[External] => shop/frontend[Pod] : lost All Connections",
                        "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] => shop/frontend[Pod] : lost All"
                                + " Connections",
                        "shop/web-7d9f[ReplicaSet] => shop/frontend[Pod] : lost All Connections");
        assertThat(plan.connectivityRemaining())
                .containsExactly("shop/frontend[Pod] => shop/web-7d9f[ReplicaSet] : TCP 8080");
        assertThat(plan.warnings())
                .contains("1 connection(s) of the pod remain, because other policies still allow them: NetworkPolicy"
                        + " shop/frontend-egress (NetworkPolicies add up; only an admin-tier policy could deny"
                        + " them)");
        assertThat(QuarantinePod.INSTANCE.verify(plan, ClusterSimulator.apply(cluster, plan.steps())))
                .isEmpty();
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void aPodInQuarantineAlreadyIsRefusedNamingItsAction() {
        Pod inQuarantine = new PodBuilder(Fixture.webPod(WEB_A, "10.244.1.10", true))
                .editMetadata()
                .addToLabels("stanch.dev/quarantine", "q0")
                .endMetadata()
                .build();
        ClusterSnapshot cluster = Fixture.replace(Fixture.cluster(OLD_SERVER), inQuarantine);

        assertThat(QuarantinePod.INSTANCE.plan(input("q1", WEB_A, false), cluster))
                .isEqualTo(new Planning.Refused(
                        Refusal.ALREADY_IN_EFFECT,
                        "pod shop/web-7d9f-aaaaa is in quarantine already: its label stanch.dev/quarantine names"
                                + " action q0"));
    }

    @Test
    void aPodInAProtectedNamespaceIsRefused() {
        Pod dns = new PodBuilder(Fixture.frontend())
                .editMetadata()
                .withName("coredns")
                .withNamespace("kube-system")
                .endMetadata()
                .build();
        ClusterSnapshot cluster = Fixture.add(Fixture.cluster(OLD_SERVER), dns);

        assertThat(QuarantinePod.INSTANCE.plan(input("q1", "kube-system", "coredns", Map.of()), cluster))
                .isEqualTo(new Planning.Refused(
                        Refusal.PROTECTED, "namespace kube-system is protected: Stanch does not act on its pods"));
    }

    @Test
    void aMissingPodIsRefused() {
        assertThat(QuarantinePod.INSTANCE.plan(input("q1", "web-7d9f-zzzzz", false), Fixture.cluster(OLD_SERVER)))
                .isEqualTo(new Planning.Refused(Refusal.NOT_FOUND, "pod shop/web-7d9f-zzzzz does not exist"));
    }

    @Test
    void stanchsOwnPodIsRefused() {
        Pod stanch = new PodBuilder(Fixture.frontend())
                .editMetadata()
                .withName("stanch-0")
                .withLabels(Map.of("app.kubernetes.io/name", "stanch"))
                .endMetadata()
                .build();
        ClusterSnapshot cluster = Fixture.add(Fixture.cluster(OLD_SERVER), stanch);

        assertThat(QuarantinePod.INSTANCE.plan(input("q1", "stanch-0", false), cluster))
                .isEqualTo(
                        new Planning.Refused(Refusal.PROTECTED, "pod shop/stanch-0 is Stanch itself: never acted on"));
    }

    @Test
    void aHostNetworkPodIsRefusedBecauseNoPolicyAppliesToIt() {
        Pod host = new PodBuilder(Fixture.frontend())
                .editSpec()
                .withHostNetwork(true)
                .endSpec()
                .build();
        ClusterSnapshot cluster = Fixture.replace(Fixture.cluster(OLD_SERVER), host);

        Planning planning = QuarantinePod.INSTANCE.plan(input("q1", "frontend", false), cluster);

        assertThat(planning).isInstanceOf(Planning.Refused.class);
        assertThat(((Planning.Refused) planning).reason()).isEqualTo(Refusal.UNSUPPORTED);
        assertThat(((Planning.Refused) planning).message()).contains("hostNetwork");
    }

    @Test
    void aFinishedPodAndANonBooleanDetachAreRefused() {
        Pod finished = new PodBuilder(Fixture.frontend())
                .editStatus()
                .withPhase("Succeeded")
                .endStatus()
                .build();
        assertThat(QuarantinePod.INSTANCE.plan(
                        input("q1", "frontend", false), Fixture.replace(Fixture.cluster(OLD_SERVER), finished)))
                .isEqualTo(new Planning.Refused(
                        Refusal.ALREADY_IN_EFFECT,
                        "pod shop/frontend has finished (Succeeded): it has no network left to cut"));
        assertThat(QuarantinePod.INSTANCE.plan(
                        input("q1", "shop", WEB_A, Map.of("detach", "yes")), Fixture.cluster(OLD_SERVER)))
                .isEqualTo(new Planning.Refused(Refusal.INVALID, "parameter detach must be true or false, not 'yes'"));
    }

    // ------------------------------------------------------------------ verify

    @Test
    void verifyNamesWhatIsMissingBeforeAndNothingOnceApplied() {
        for (ServerInfo server : List.of(OLD_SERVER, ANP_SERVER)) {
            ClusterSnapshot before = Fixture.cluster(server);
            ActionPlan plan = planned(input("q1", WEB_A, true), before);

            List<String> expected = new ArrayList<>(List.of("NetworkPolicy shop/stanch-quarantine-q1 is missing"));
            if (server == ANP_SERVER) {
                expected.add("AdminNetworkPolicy stanch-quarantine-q1 is missing");
            }
            expected.addAll(List.of(
                    "pod shop/web-7d9f-aaaaa lacks the label stanch.dev/quarantine=q1",
                    "pod shop/web-7d9f-aaaaa still has the label app, which detach moves aside: its Services or"
                            + " controller may still select it",
                    "pod shop/web-7d9f-aaaaa still has the label pod-template-hash, which detach moves aside: its"
                            + " Services or controller may still select it",
                    "pod shop/web-7d9f-aaaaa still has the label tier, which detach moves aside: its Services or"
                            + " controller may still select it"));
            assertThat(QuarantinePod.INSTANCE.verify(plan, before)).containsExactlyElementsOf(expected);
            assertThat(QuarantinePod.INSTANCE.verify(plan, ClusterSimulator.apply(before, plan.steps())))
                    .isEmpty();
        }
    }

    @Test
    void verifyAcceptsTheRemainingConnectivityThePlanListed() {
        ClusterSnapshot before = Fixture.cluster(OLD_SERVER);
        ActionPlan plan = planned(input("q1", WEB_A, false), before);

        assertThat(plan.connectivityRemaining()).isNotEmpty();
        assertThat(QuarantinePod.INSTANCE.verify(plan, ClusterSimulator.apply(before, plan.steps())))
                .isEmpty();
    }

    @Test
    void verifyReportsConnectivityBeyondThePlan() {
        ClusterSnapshot before = Fixture.cluster(ANP_SERVER);
        ActionPlan plan = planned(input("q1", WEB_A, false), before);
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        // Someone adds an admin Allow for the frontend ahead of the quarantine (same priority, earlier name).
        ClusterSnapshot leaking = Fixture.with(after, List.of(Fixture.allowFrontendAtZero()));

        assertThat(QuarantinePod.INSTANCE.verify(plan, leaking))
                .containsExactly("connectivity remains beyond the plan: shop/frontend[Pod] => shop/web-7d9f-aaaaa[Pod]"
                        + " : All Connections (allowed by AdminNetworkPolicy allow-frontend)");
    }

    @Test
    void verifyReportsAPolicyThatIsNotThisActions() {
        ClusterSnapshot before = Fixture.cluster(OLD_SERVER);
        ActionPlan plan = planned(input("q1", WEB_A, false), before);
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        List<NetworkPolicy> policies = after.networkPolicies().stream()
                .map(policy -> policy.getMetadata().getName().equals("stanch-quarantine-q1")
                        ? new NetworkPolicyBuilder(policy)
                                .editMetadata()
                                .withLabels(Map.of("stanch.dev/action-id", "q9"))
                                .endMetadata()
                                .build()
                        : policy)
                .toList();
        ClusterSnapshot foreign = new ClusterSnapshot(
                after.server(),
                after.namespaces(),
                after.pods(),
                policies,
                after.adminPolicies(),
                after.ciliumPolicies(),
                after.workloads(),
                after.services(),
                List.of(),
                List.of(),
                List.of(),
                List.of());

        assertThat(QuarantinePod.INSTANCE.verify(plan, foreign))
                .containsExactly("NetworkPolicy shop/stanch-quarantine-q1 does not carry stanch.dev/action-id=q1: it is"
                        + " not this action's policy");
    }

    // ------------------------------------------------------------------ contract

    @Test
    void rbacCoversTheStepsAndSaysWhy() {
        assertThat(QuarantinePod.INSTANCE.rbac())
                .extracting(rule -> rule.apiGroup() + "/" + rule.resource() + " " + rule.verbs())
                .containsExactly(
                        "/pods [get, update]",
                        "networking.k8s.io/networkpolicies [create, get, delete]",
                        "policy.networking.k8s.io/clusternetworkpolicies [create, get, delete]",
                        "policy.networking.k8s.io/adminnetworkpolicies [create, get, delete]");
        assertThat(QuarantinePod.INSTANCE.rbac())
                .allSatisfy(rule -> assertThat(rule.why()).isNotBlank());
        assertThat(ActionType.of(ActionKind.QUARANTINE_POD)).isSameAs(QuarantinePod.INSTANCE);
    }

    // ------------------------------------------------------------------ helpers

    /** The plan, which — as every plan of this test — survives the ledger's document. */
    private static ActionPlan planned(PlanInput input, ClusterSnapshot cluster) {
        Planning planning = QuarantinePod.INSTANCE.plan(input, cluster);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        ActionPlan plan = ((Planning.Planned) planning).plan();
        PlanDocumentTest.assertLossless(plan, cluster);
        return plan;
    }

    static PlanInput input(String actionId, String pod, boolean detach) {
        return input(actionId, "shop", pod, Map.of("detach", detach));
    }

    static PlanInput input(String actionId, String namespace, String pod, Map<String, Object> params) {
        return new PlanInput(
                actionId,
                new ActionRequest(
                        "isolate",
                        "isolate",
                        3,
                        ActionKind.QUARANTINE_POD,
                        new Target(namespace, pod, null),
                        params,
                        Approval.REQUIRED,
                        null,
                        OnApprovalTimeout.REJECT,
                        null,
                        false),
                Safety.defaults());
    }

    private static String yaml(HasMetadata manifest) {
        return new KubernetesSerialization().asYaml(manifest);
    }

    @SuppressWarnings("unchecked")
    private static int priority(ActionPlan plan) {
        GenericKubernetesResource admin = plan.steps().stream()
                .filter(step ->
                        step instanceof Step.Create create && create.manifest() instanceof GenericKubernetesResource)
                .map(step -> (GenericKubernetesResource) ((Step.Create) step).manifest())
                .findFirst()
                .orElseThrow();
        return (Integer) ((Map<String, Object>) admin.getAdditionalProperties().get("spec")).get("priority");
    }

    /** A small shop: web (a ReplicaSet of two pods) behind a Service, a frontend that may call it. */
    static final class Fixture {

        static Namespace namespace(String name, boolean nameLabel) {
            return new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withLabels(nameLabel ? Map.of("kubernetes.io/metadata.name", name) : Map.of())
                    .endMetadata()
                    .build();
        }

        static Pod webPod(String name, String ip, boolean ready) {
            return new PodBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace("shop")
                    .withUid("uid-" + name)
                    .withLabels(new TreeMap<>(
                            Map.of("app", "web", "pod-template-hash", "7d9f", "tier", "backend", "version", "v2")))
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind("ReplicaSet")
                    .withName("web-7d9f")
                    .withUid("uid-web-7d9f")
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("web")
                    .withImage("web")
                    .addNewPort()
                    .withName("http")
                    .withContainerPort(8080)
                    .endPort()
                    .endContainer()
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Running")
                    .withPodIP(ip)
                    .addNewCondition()
                    .withType("Ready")
                    .withStatus(ready ? "True" : "False")
                    .endCondition()
                    .endStatus()
                    .build();
        }

        static Pod frontend() {
            return new PodBuilder()
                    .withNewMetadata()
                    .withName("frontend")
                    .withNamespace("shop")
                    .withUid("uid-frontend")
                    .withLabels(Map.of("app", "frontend"))
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("frontend")
                    .withImage("frontend")
                    .endContainer()
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Running")
                    .withPodIP("10.244.1.20")
                    .addNewCondition()
                    .withType("Ready")
                    .withStatus("True")
                    .endCondition()
                    .endStatus()
                    .build();
        }

        static ReplicaSet replicaSet(int readyReplicas) {
            return new ReplicaSetBuilder()
                    .withNewMetadata()
                    .withName("web-7d9f")
                    .withNamespace("shop")
                    .withUid("uid-web-7d9f")
                    .endMetadata()
                    .withNewSpec()
                    .withReplicas(2)
                    .withNewSelector()
                    .withMatchLabels(Map.of("app", "web", "pod-template-hash", "7d9f"))
                    .addNewMatchExpression()
                    .withKey("tier")
                    .withOperator("In")
                    .withValues("backend")
                    .endMatchExpression()
                    .endSelector()
                    .endSpec()
                    .withNewStatus()
                    .withReplicas(2)
                    .withReadyReplicas(readyReplicas)
                    .endStatus()
                    .build();
        }

        static Service service(String name, Map<String, String> selector) {
            return new ServiceBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace("shop")
                    .endMetadata()
                    .withNewSpec()
                    .withSelector(selector)
                    .addNewPort()
                    .withPort(80)
                    .withTargetPort(new IntOrString("http"))
                    .endPort()
                    .endSpec()
                    .build();
        }

        /** Admits the frontend to web on TCP 8080: it selects web by app, so it unions into a deny-all. */
        static NetworkPolicy webIngress() {
            return new NetworkPolicyBuilder()
                    .withNewMetadata()
                    .withName("web-ingress")
                    .withNamespace("shop")
                    .endMetadata()
                    .withNewSpec()
                    .withNewPodSelector()
                    .withMatchLabels(Map.of("app", "web"))
                    .endPodSelector()
                    .addNewIngress()
                    .addNewFrom()
                    .withNewPodSelector()
                    .withMatchLabels(Map.of("app", "frontend"))
                    .endPodSelector()
                    .endFrom()
                    .addNewPort()
                    .withProtocol("TCP")
                    .withPort(new IntOrString(8080))
                    .endPort()
                    .endIngress()
                    .withPolicyTypes("Ingress")
                    .endSpec()
                    .build();
        }

        static GenericKubernetesResource adminPolicy(
                String kind, String apiVersion, String name, int priority, String tier) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("priority", priority);
            if (tier != null) {
                spec.put("tier", tier);
            }
            spec.put("subject", Map.of("namespaces", Map.of("matchLabels", Map.of("team", "audit"))));
            return new GenericKubernetesResourceBuilder()
                    .withApiVersion(apiVersion)
                    .withKind(kind)
                    .withNewMetadata()
                    .withName(name)
                    .endMetadata()
                    .withAdditionalProperties(Map.of("spec", spec))
                    .build();
        }

        /** Allows the frontend into every pod of shop, at priority 0. */
        static GenericKubernetesResource allowFrontendAtZero() {
            return new GenericKubernetesResourceBuilder()
                    .withApiVersion("policy.networking.k8s.io/v1alpha1")
                    .withKind("AdminNetworkPolicy")
                    .withNewMetadata()
                    .withName("allow-frontend")
                    .endMetadata()
                    .withAdditionalProperties(Map.of(
                            "spec",
                            Map.of(
                                    "priority",
                                    0,
                                    "subject",
                                    Map.of(
                                            "namespaces",
                                            Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "shop"))),
                                    "ingress",
                                    List.of(Map.of(
                                            "name",
                                            "frontend",
                                            "action",
                                            "Allow",
                                            "from",
                                            List.of(Map.of(
                                                    "pods",
                                                    Map.of(
                                                            "namespaceSelector",
                                                            Map.of(),
                                                            "podSelector",
                                                            Map.of("matchLabels", Map.of("app", "frontend"))))))))))
                    .build();
        }

        static ClusterSnapshot with(ClusterSnapshot cluster, List<GenericKubernetesResource> more) {
            List<GenericKubernetesResource> adminPolicies = new ArrayList<>(cluster.adminPolicies());
            adminPolicies.addAll(more);
            return new ClusterSnapshot(
                    cluster.server(),
                    cluster.namespaces(),
                    cluster.pods(),
                    cluster.networkPolicies(),
                    adminPolicies,
                    cluster.ciliumPolicies(),
                    cluster.workloads(),
                    cluster.services(),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of());
        }

        /** The snapshot with the pod of the same name replaced. */
        static ClusterSnapshot replace(ClusterSnapshot cluster, Pod pod) {
            return pods(
                    cluster,
                    cluster.pods().stream()
                            .map(other -> other.getMetadata()
                                            .getName()
                                            .equals(pod.getMetadata().getName())
                                    ? pod
                                    : other)
                            .toList());
        }

        static ClusterSnapshot add(ClusterSnapshot cluster, Pod pod) {
            List<Pod> pods = new ArrayList<>(cluster.pods());
            pods.add(pod);
            return pods(cluster, pods);
        }

        private static ClusterSnapshot pods(ClusterSnapshot cluster, List<Pod> pods) {
            return new ClusterSnapshot(
                    cluster.server(),
                    cluster.namespaces(),
                    pods,
                    cluster.networkPolicies(),
                    cluster.adminPolicies(),
                    cluster.ciliumPolicies(),
                    cluster.workloads(),
                    cluster.services(),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of());
        }

        static ClusterSnapshot cluster(ServerInfo server) {
            return new ClusterSnapshot(
                    server,
                    List.of(namespace("shop", server.minor() >= 21)),
                    List.of(
                            webPod("web-7d9f-aaaaa", "10.244.1.10", true),
                            webPod("web-7d9f-bbbbb", "10.244.1.11", true),
                            frontend()),
                    List.of(webIngress()),
                    List.of(),
                    List.of(),
                    List.of(replicaSet(2)),
                    List.of(service("web", Map.of("app", "web")), service("frontend", Map.of("app", "frontend"))),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of());
        }
    }
}
