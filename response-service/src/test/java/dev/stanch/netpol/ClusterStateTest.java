package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterStateTest {

    @Test
    void realPodsBelongToTheOutermostOwnerTheObjectsReveal() {
        ClusterState state = Clusters.state("""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: web-5d8
              namespace: shop
              ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}]
            spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-5d8-x
              namespace: shop
              labels: {app: web}
              ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8, uid: r, controller: true}]
            spec: {containers: [{name: c, image: i}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: cache-77-y
              namespace: shop
              ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cache-77, uid: s, controller: true}]
            spec: {containers: [{name: c, image: i}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: kube-apiserver-node1
              namespace: kube-system
              ownerReferences: [{apiVersion: v1, kind: Node, name: node1, uid: n, controller: true}]
            spec: {containers: [{name: c, image: i}]}
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: backup, namespace: shop}
            spec:
              schedule: "@daily"
              jobTemplate: {spec: {template: {metadata: {labels: {app: backup}}, spec: {containers: [{name: c, image: i}]}}}}
            """);
        // The ReplicaSet's pod stands for it (no template pod), shown as its Deployment; a
        // ReplicaSet missing from the input shows as itself; static pods are pods of their own.
        assertThat(NetpolEngine.index(state).nodes())
                .extracting(Endpoint::toString)
                .containsExactly(
                        "kube-system/kube-apiserver-node1[Pod]",
                        "shop/backup[CronJob]",
                        "shop/cache-77[ReplicaSet]",
                        "shop/web[Deployment]");
        assertThat(state.pods()).hasSize(4);
    }

    @Test
    void finishedPodsAreNoNodesAndTheirJobTemplateDoesNotStandIn() {
        ClusterState state = Clusters.state("""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: migrate, namespace: shop}
            spec: {template: {metadata: {labels: {job: migrate}}, spec: {containers: [{name: c, image: i}]}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: migrate-x1
              namespace: shop
              ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, uid: j, controller: true}]
            spec: {containers: [{name: c, image: i}]}
            status: {phase: Succeeded}
            """);
        assertThat(state.pods()).isEmpty();
        assertThat(NetpolEngine.index(state).connectivity()).isEmpty();
    }

    @Test
    void everyNamespaceCarriesItsNameLabel() {
        ClusterState state = Clusters.state("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: team-a, labels: {team: a}}
            """);
        assertThat(state.namespaces().get("team-a"))
                .containsEntry("team", "a")
                .containsEntry("kubernetes.io/metadata.name", "team-a");
    }

    @Test
    void objectsTheApiServerWouldRejectAreLeftOutWithAWarning() {
        // As a live cluster would list it (the manifest reader already refuses such a document).
        GenericKubernetesResource withoutPriority = new GenericKubernetesResourceBuilder()
                .withApiVersion("policy.networking.k8s.io/v1alpha1")
                .withKind("AdminNetworkPolicy")
                .withNewMetadata()
                .withName("no-priority")
                .endMetadata()
                .addToAdditionalProperties("spec", Map.of("subject", Map.of("namespaces", Map.of())))
                .build();
        ClusterState state = ClusterState.of(List.of(withoutPriority));
        assertThat(state.adminPolicies()).isEmpty();
        assertThat(state.warnings()).containsExactly("AdminNetworkPolicy no-priority: spec.priority: missing; skipped");
    }

    @Test
    void toBuilderReplacesAndRemovesObjects() {
        ClusterState before = Clusters.state("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p, labels: {v: "1"}}
            spec: {containers: [{name: c, image: i}]}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny}
            spec: {podSelector: {}}
            """);
        ClusterState after =
                before.toBuilder().remove("NetworkPolicy", null, "deny").build();
        assertThat(before.networkPolicies()).hasSize(1);
        assertThat(after.networkPolicies()).isEmpty();
        assertThat(after.pods()).hasSize(1);
        assertThat(after.pods().getFirst().namespace()).isEqualTo("default");
    }

    /**
     * A view derived with {@link ClusterState.Builder#reusing} — which takes over the models of the
     * objects it shares with the previous view — equals one read afresh: the same pods, policies and
     * warnings (an invalid policy and a bad container port included), and the same connectivity.
     */
    @Test
    void aViewReusingAnotherEqualsOneReadAfresh() {
        List<HasMetadata> objects = new ArrayList<>(new SyntheticCluster(6, 10, 40, 3).objects());
        // What the API server would refuse, as a live list could still show it (the reader refuses it).
        objects.add(new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("broken")
                .withNamespace("team-1")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .addNewMatchExpression()
                .withKey("a")
                .withOperator("Is")
                .endMatchExpression()
                .endPodSelector()
                .endSpec()
                .build());
        objects.add(new PodBuilder()
                .withNewMetadata()
                .withName("odd-port")
                .withNamespace("team-2")
                .addToLabels("app", "odd")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .addNewPort()
                .withContainerPort(80)
                .withProtocol("ICMP")
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.99.0.1")
                .endStatus()
                .build());
        ClusterState before = ClusterState.of(objects);
        List<HasMetadata> changed = new ArrayList<>(objects);
        // Replace a pod (relabelled) and a policy, drop one object, add one.
        for (int i = 0; i < changed.size(); i++) {
            if (changed.get(i) instanceof Pod pod) {
                changed.set(
                        i,
                        new PodBuilder(pod)
                                .editMetadata()
                                .addToLabels("block.stanch.dev/x", "true")
                                .endMetadata()
                                .build());
                break;
            }
        }
        changed.remove(changed.size() - 3);
        changed.addAll(ManifestReader.read("block.yaml", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: block-x, namespace: team-0}
            spec:
              podSelector: {matchLabels: {block.stanch.dev/x: "true"}}
              egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [203.0.113.7/32]}}]}]
            """).objects());
        ClusterState fresh = ClusterState.of(changed);
        ClusterState reused =
                ClusterState.builder().reusing(before).addAll(changed).build();
        assertThat(reused.pods()).isEqualTo(fresh.pods());
        assertThat(reused.networkPolicies()).isEqualTo(fresh.networkPolicies());
        assertThat(reused.adminPolicies()).isEqualTo(fresh.adminPolicies());
        assertThat(reused.warnings()).isEqualTo(fresh.warnings()).isNotEmpty();
        assertThat(NetpolEngine.index(reused).connectivity())
                .isEqualTo(NetpolEngine.index(fresh).connectivity());
        assertThat(before.toBuilder().build().warnings()).isEqualTo(before.warnings());
    }
}
