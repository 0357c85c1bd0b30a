package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The planner's use of the engine: is a generated block effective, and what else does an action
 * take away (the diff of a pod's connectivity before and after)?
 */
class BlastRadiusTest {

    /** A Deployment with two running pods (via its ReplicaSet), a db Deployment, a bare pod. */
    private static final String CLUSTER = """
      apiVersion: v1
      kind: Namespace
      metadata: {name: shop}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: api, namespace: shop}
      spec:
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api}}
          spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
      ---
      apiVersion: apps/v1
      kind: ReplicaSet
      metadata:
        name: api-7d9f
        namespace: shop
        ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
      spec:
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api, pod-template-hash: 7d9f}}
          spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: api-7d9f-aaaaa
        namespace: shop
        labels: {app: api, pod-template-hash: 7d9f}
        ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f, uid: u2, controller: true}]
      spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
      status: {podIP: 10.244.1.10}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: api-7d9f-bbbbb
        namespace: shop
        labels: {app: api, pod-template-hash: 7d9f}
        ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f, uid: u2, controller: true}]
      spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
      status: {podIP: 10.244.1.11}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: db, namespace: shop}
      spec:
        replicas: 3
        selector: {matchLabels: {app: db}}
        template:
          metadata: {labels: {app: db}}
          spec: {containers: [{name: db, image: db, ports: [{containerPort: 5432}]}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: debug, namespace: shop, labels: {run: debug}}
      spec: {containers: [{name: sh, image: busybox}]}
      """;

    private static final Endpoint API_A = Endpoint.pod("shop", "api-7d9f-aaaaa");
    private static final Endpoint API_B = Endpoint.pod("shop", "api-7d9f-bbbbb");
    private static final Endpoint C2 = Endpoint.address("203.0.113.7");

    /**
     * What block-connection generates: everything but the peer's one port, on the pod's own label.
     */
    private static NetworkPolicy blockPolicy(String actionId) {
        NetworkPolicyPeer everyPod = new NetworkPolicyPeerBuilder()
                .withNewNamespaceSelector()
                .endNamespaceSelector()
                .build();
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("stanch-" + actionId)
                .withNamespace("shop")
                .addToLabels("app.kubernetes.io/managed-by", "stanch")
                .addToLabels("stanch.dev/action-id", actionId)
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .addToMatchLabels("stanch.dev/block", actionId)
                .endPodSelector()
                .withPolicyTypes("Egress")
                .addNewEgress()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .withExcept("203.0.113.7/32")
                .endIpBlock()
                .endTo()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("::/0")
                .endIpBlock()
                .endTo()
                .addToTo(everyPod)
                .endEgress()
                .addNewEgress()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("203.0.113.7/32")
                .endIpBlock()
                .endTo()
                .withPorts(
                        new NetworkPolicyPortBuilder()
                                .withPort(new IntOrString(1))
                                .withEndPort(442)
                                .build(),
                        new NetworkPolicyPortBuilder()
                                .withPort(new IntOrString(444))
                                .withEndPort(65535)
                                .build(),
                        new NetworkPolicyPortBuilder().withProtocol("UDP").build(),
                        new NetworkPolicyPortBuilder().withProtocol("SCTP").build())
                .endEgress()
                .endSpec()
                .build();
    }

    private static Pod labelled(ClusterState state, String podName, String key, String value) {
        Pod pod = (Pod) state.objects().stream()
                .filter(object ->
                        object instanceof Pod && object.getMetadata().getName().equals(podName))
                .findFirst()
                .orElseThrow();
        return pod.edit().editMetadata().addToLabels(key, value).endMetadata().build();
    }

    private static ClusterState after(ClusterState before, HasMetadata... changed) {
        return before.toBuilder().addAll(List.of(changed)).build();
    }

    @Test
    void aBlockOnOnePodCutsOnlyThatFlow() {
        ClusterState beforeState = Clusters.state(CLUSTER);
        ClusterState afterState = after(
                beforeState,
                labelled(beforeState, "api-7d9f-aaaaa", "stanch.dev/block", "act-1"),
                blockPolicy("act-1"));
        NetpolEngine before = NetpolEngine.index(beforeState);
        NetpolEngine after = NetpolEngine.index(afterState);

        assertThat(before.allowed(API_A, C2, Protocol.TCP, 443).allowed()).isTrue();
        Verdict blocked = after.allowed(API_A, C2, Protocol.TCP, 443);
        assertThat(blocked.allowed()).isFalse();
        assertThat(blocked.egress().isolatedBy())
                .containsExactly(new PolicyRef(PolicyKind.NETWORK_POLICY, "shop", "stanch-act-1"));
        assertThat(after.allowed(API_A, C2, Protocol.TCP, 80).allowed()).isTrue();
        assertThat(after.allowed(API_B, C2, Protocol.TCP, 443).allowed()).isTrue();

        ConnectivityDiff diff = NetpolEngine.diff(before, after, API_A);
        assertThat(diff.changes()).hasSize(1);
        ConnectivityChange change = diff.changes().getFirst();
        assertThat(change.direction()).isEqualTo(Direction.EGRESS);
        assertThat(change.peer()).hasToString("203.0.113.7-203.0.113.7[External]");
        assertThat(change.lost()).isEqualTo(ConnectionSet.of(Protocol.TCP, 443));
        assertThat(change.gained().isEmpty()).isTrue();
        assertThat(change).hasToString("shop/api-7d9f-aaaaa[Pod] => 203.0.113.7-203.0.113.7[External] : lost TCP 443");
        assertThat(NetpolEngine.diff(before, after, API_B).isEmpty()).isTrue();
    }

    @Test
    void theLabelledPodBecomesANodeOfItsOwn() {
        ClusterState beforeState = Clusters.state(CLUSTER);
        NetpolEngine before = NetpolEngine.index(beforeState);
        // A new label alone tells the pods apart for no selector: still one workload.
        NetpolEngine labelledOnly = NetpolEngine.index(
                after(beforeState, labelled(beforeState, "api-7d9f-aaaaa", "stanch.dev/block", "x")));
        NetpolEngine after = NetpolEngine.index(after(
                beforeState,
                labelled(beforeState, "api-7d9f-aaaaa", "stanch.dev/block", "act-1"),
                blockPolicy("act-1")));
        assertThat(before.nodes())
                .extracting(Endpoint::toString)
                .containsExactly("shop/api[Deployment]", "shop/db[Deployment]", "shop/debug[Pod]");
        assertThat(labelledOnly.nodes()).isEqualTo(before.nodes());
        assertThat(after.nodes())
                .extracting(Endpoint::toString)
                .containsExactly(
                        "shop/api-7d9f-aaaaa[Pod]",
                        "shop/api-7d9f-bbbbb[Pod]",
                        "shop/db[Deployment]",
                        "shop/debug[Pod]");
        assertThatThrownBy(() -> after.allowed(Endpoint.workload("shop", "Deployment", "api"), C2, Protocol.TCP, 443))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name one of them");
        assertThat(before.allowed(Endpoint.workload("shop", "Deployment", "api"), C2, Protocol.TCP, 443)
                        .allowed())
                .isTrue();
    }

    @Test
    void aBlockThatAnotherPolicyOverridesIsReportedAsIneffective() {
        String existing = """
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: api-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          policyTypes: [Egress]
          egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}], ports: [{port: 443}]}]
        """;
        ClusterState beforeState = Clusters.state(CLUSTER + existing);
        NetpolEngine after = NetpolEngine.index(after(
                beforeState,
                labelled(beforeState, "api-7d9f-aaaaa", "stanch.dev/block", "act-1"),
                blockPolicy("act-1")));
        Verdict verdict = after.allowed(API_A, C2, Protocol.TCP, 443);
        // NetworkPolicies add up: the existing allow still lets the flow through.
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.egress().rules())
                .containsExactly(new RuleRef(
                        new PolicyRef(PolicyKind.NETWORK_POLICY, "shop", "api-egress"),
                        Direction.EGRESS,
                        1,
                        null,
                        Action.ALLOW));
        assertThat(verdict.explain()).contains("egress allowed by NetworkPolicy shop/api-egress egress rule #1");
    }

    @Test
    void quarantineTakesEverythingAndNamesThePeersByWorkload() {
        String quarantine = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: stanch-act-2, namespace: shop}
        spec:
          podSelector: {matchLabels: {stanch.dev/quarantine: act-2}}
          policyTypes: [Ingress, Egress]
        """;
        ClusterState beforeState = Clusters.state(CLUSTER);
        ClusterState afterState = after(
                beforeState,
                labelled(beforeState, "api-7d9f-aaaaa", "stanch.dev/quarantine", "act-2"),
                ManifestReader.read("q.yaml", quarantine).objects().getFirst());
        ConnectivityDiff diff =
                NetpolEngine.diff(NetpolEngine.index(beforeState), NetpolEngine.index(afterState), API_A);
        assertThat(diff.changes()).allMatch(change -> change.after().isEmpty());
        assertThat(diff.gains()).isEmpty();
        assertThat(diff.changes())
                .extracting(ConnectivityChange::toString)
                .containsExactly(
                        "shop/api-7d9f-aaaaa[Pod] => 0.0.0.0-255.255.255.255[External] : lost All Connections",
                        "shop/api-7d9f-aaaaa[Pod] => ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : lost All Connections",
                        "shop/api-7d9f-aaaaa[Pod] => shop/api-7d9f-bbbbb[Pod] : lost All Connections",
                        "shop/api-7d9f-aaaaa[Pod] => shop/db[Deployment] : lost All Connections",
                        "shop/api-7d9f-aaaaa[Pod] => shop/debug[Pod] : lost All Connections",
                        "0.0.0.0-255.255.255.255[External] => shop/api-7d9f-aaaaa[Pod] : lost All Connections",
                        "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] => shop/api-7d9f-aaaaa[Pod] : lost All Connections",
                        "shop/api-7d9f-bbbbb[Pod] => shop/api-7d9f-aaaaa[Pod] : lost All Connections",
                        "shop/db[Deployment] => shop/api-7d9f-aaaaa[Pod] : lost All Connections",
                        "shop/debug[Pod] => shop/api-7d9f-aaaaa[Pod] : lost All Connections");
    }

    @Test
    void aWorkloadWhosePodsChangeAlikeIsReportedOnce() {
        String isolateDb = """
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]
        """;
        NetpolEngine before = NetpolEngine.index(Clusters.state(CLUSTER));
        NetpolEngine after = NetpolEngine.index(Clusters.state(CLUSTER + isolateDb));
        ConnectivityDiff diff = NetpolEngine.diff(before, after, Endpoint.workload("shop", "Deployment", "api"));
        assertThat(diff.changes())
                .extracting(ConnectivityChange::toString)
                .containsExactly(
                        "shop/api[Deployment] => shop/db[Deployment] : lost SCTP 1-65535,TCP 1-5431,5433-65535,UDP 1-65535");
        assertThat(NetpolEngine.diff(before, after, Endpoint.pod("shop", "debug"))
                        .changes())
                .extracting(ConnectivityChange::toString)
                .containsExactly("shop/debug[Pod] => shop/db[Deployment] : lost All Connections");
    }
}
