package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.Target;
import dev.stanch.netpol.ConnectivityChange;
import dev.stanch.netpol.ConnectivityDiff;
import dev.stanch.netpol.Direction;
import dev.stanch.netpol.Endpoint;
import dev.stanch.netpol.NetpolEngine;
import dev.stanch.netpol.Protocol;
import dev.stanch.netpol.Tier;
import dev.stanch.netpol.Verdict;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class BlockConnectionTest {

    private static final ServerInfo V1_20 = ServerInfo.of(1, 20);
    private static final ServerInfo V1_30 = ServerInfo.of(1, 30);
    private static final ServerInfo V1_30_ANP = ServerInfo.of(1, 30, ServerInfo.ADMIN_NETWORK_POLICY);
    static final ServerInfo V1_30_CILIUM = cilium(30, ServerInfo.CILIUM_CLUSTERWIDE_NETWORK_POLICY);

    private static final String C2 = "203.0.113.7";

    // ------------------------------------------------------------------ fixtures

    /** A 1.x server with Cilium 1.16+ (its CiliumNetworkPolicy schema declares enableDefaultDeny). */
    static ServerInfo cilium(int minor, String... more) {
        Set<String> resources = new HashSet<>(Set.of(more));
        resources.add(ServerInfo.CILIUM_NETWORK_POLICY);
        return new ServerInfo(1, minor, resources, Set.of(ServerInfo.CILIUM_ENABLE_DEFAULT_DENY));
    }

    static Namespace namespace(String name) {
        return new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("kubernetes.io/metadata.name", name))
                .endMetadata()
                .build();
    }

    static Pod pod(String namespace, String name, String ip, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withUid("uid-" + name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("example/" + name)
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP(ip)
                .endStatus()
                .build();
    }

    /** shop: two web pods (one workload by labels), a db; other: a client; kube-system: dns. */
    static ClusterSnapshot shop(ServerInfo server, HasMetadata... more) {
        List<Namespace> namespaces =
                List.of(namespace("shop"), namespace("other"), namespace("kube-system"), namespace("stanch"));
        List<Pod> pods = List.of(
                pod("shop", "web-1", "10.0.0.11", Map.of("app", "web")),
                pod("shop", "web-2", "10.0.0.12", Map.of("app", "web")),
                pod("shop", "db-0", "10.0.0.20", Map.of("app", "db")),
                pod("other", "client", "10.0.1.5", Map.of("app", "client")),
                pod("kube-system", "dns", "10.0.9.9", Map.of("k8s-app", "dns")),
                pod("stanch", "stanch-0", "10.0.8.8", Map.of("app.kubernetes.io/name", "stanch")));
        ClusterSnapshot empty = ClusterSnapshot.empty(server);
        List<NetworkPolicy> policies = java.util.Arrays.stream(more)
                .filter(NetworkPolicy.class::isInstance)
                .map(NetworkPolicy.class::cast)
                .toList();
        List<GenericKubernetesResource> generic = java.util.Arrays.stream(more)
                .filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast)
                .toList();
        return new ClusterSnapshot(
                server,
                namespaces,
                pods,
                policies,
                generic.stream()
                        .filter(p -> !CiliumPolicies.API_VERSION.equals(p.getApiVersion()))
                        .toList(),
                generic.stream()
                        .filter(p -> CiliumPolicies.API_VERSION.equals(p.getApiVersion()))
                        .toList(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                empty.tokenSecrets());
    }

    static PlanInput block(
            String id, String pod, String direction, String peer, @Nullable Integer port, String granularity) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", granularity);
        params.put("direction", direction);
        params.put("protocol", "tcp");
        params.put("peerIp", peer);
        if (port != null && direction.equals("ingress")) {
            // The port on the pod is what can be cut; the peer's is a client's ephemeral port, which
            // the planner must ignore.
            params.put("localPort", port);
            params.put("peerPort", 51000);
        } else if (port != null) {
            params.put("peerPort", port);
        }
        return new PlanInput(
                id,
                new ActionRequest(
                        "outbound-c2",
                        "cut",
                        1,
                        ActionKind.BLOCK_CONNECTION,
                        new Target(pod.split("/")[0], pod.split("/")[1], null),
                        params,
                        Approval.AUTO,
                        null,
                        OnApprovalTimeout.REJECT,
                        null,
                        false),
                Safety.defaults());
    }

    static ActionPlan planned(Planning planning) {
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    /** The block's plan, which — as every plan of this test — survives the ledger's document. */
    static ActionPlan planned(PlanInput input, ClusterSnapshot cluster) {
        ActionPlan plan = planned(BlockConnection.INSTANCE.plan(input, cluster));
        PlanDocumentTest.assertLossless(plan, cluster);
        return plan;
    }

    static Planning.Refused refused(Planning planning) {
        assertThat(planning).isInstanceOf(Planning.Refused.class);
        return (Planning.Refused) planning;
    }

    static ConnectivityDiff diff(ClusterSnapshot before, ClusterSnapshot after, Endpoint subject) {
        return NetpolEngine.diff(
                NetpolEngine.index(before.networkState()), NetpolEngine.index(after.networkState()), subject);
    }

    static boolean allowed(ClusterSnapshot cluster, Endpoint from, Endpoint to, int port) {
        return NetpolEngine.index(cluster.networkState())
                .allowed(from, to, Protocol.TCP, port)
                .allowed();
    }

    private static final Endpoint WEB_1 = Endpoint.pod("shop", "web-1");
    private static final Endpoint WEB_2 = Endpoint.pod("shop", "web-2");
    private static final Endpoint DB = Endpoint.pod("shop", "db-0");

    // ------------------------------------------------------------------ tests

    @Test
    void cutsAnExternalAddressOfOnePodAndNothingElse() {
        ClusterSnapshot before = shop(V1_20);
        ActionPlan plan = planned(block("a1", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("granularity", "address").containsEntry("policy", "NetworkPolicy");
        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).contains("no NetworkPolicy endPort (1.25+)"));
        assertThat(plan.steps())
                .map(Step::describe)
                .containsExactly(
                        "relabel Pod shop/web-1: +label block.stanch.dev/a1=true",
                        "create NetworkPolicy shop/stanch-block-a1",
                        "align the other egress block policies of Pod shop/web-1 so that none allows what another cuts");
        assertThat(plan.undo())
                .map(Step::describe)
                .containsExactly(
                        "delete NetworkPolicy shop/stanch-block-a1 (created by this action)",
                        "align the other egress block policies of Pod shop/web-1 so that none allows what another cuts",
                        "relabel Pod shop/web-1: -label block.stanch.dev/a1");
        NetworkPolicy policy = (NetworkPolicy) ((Step.Create) plan.steps().get(1)).manifest();
        assertThat(policy.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "stanch")
                .containsEntry("stanch.dev/action-id", "a1")
                .containsEntry("stanch.dev/pod-uid", "uid-web-1")
                .containsEntry("stanch.dev/direction", "egress");
        assertThat(policy.getMetadata().getAnnotations()).containsEntry("stanch.dev/blocked-flow", C2 + " * *");
        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .containsExactly(Map.entry("block.stanch.dev/a1", "true"));
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Egress");
        assertThat(policy.getSpec().getEgress()).hasSize(1);
        var to = policy.getSpec().getEgress().getFirst().getTo();
        assertThat(to.get(0).getIpBlock().getCidr()).isEqualTo("0.0.0.0/0");
        assertThat(to.get(0).getIpBlock().getExcept()).containsExactly(C2 + "/32");
        assertThat(to.get(1).getIpBlock().getCidr()).isEqualTo("::/0");
        assertThat(to.get(2).getNamespaceSelector()).isEqualTo(new LabelSelector());
        assertThat(policy.getSpec().getEgress().getFirst().getPorts()).isEmpty();

        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 443)).isFalse();
        assertThat(allowed(after, WEB_1, Endpoint.address("203.0.113.8"), 4444)).isTrue();
        assertThat(allowed(after, WEB_1, DB, 5432)).isTrue();
        assertThat(allowed(after, WEB_2, Endpoint.address(C2), 4444)).isTrue();
        ConnectivityDiff web1 = diff(before, after, WEB_1);
        assertThat(web1.gains()).isEmpty();
        assertThat(web1.losses()).singleElement().satisfies(change -> {
            assertThat(change.peer()).isEqualTo(Endpoint.address(C2));
            assertThat(change.lost().isAll()).isTrue();
        });
        assertThat(diff(before, after, WEB_2).isEmpty()).isTrue();
        assertThat(plan.connectivityLost())
                .containsExactly(web1.losses().getFirst().toString());
        assertThat(plan.fullyReversible()).isTrue();

        assertThat(BlockConnection.INSTANCE.verify(plan, before)).isNotEmpty();
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        ClusterSnapshot rolledBack = ClusterSimulator.apply(after, plan.undo());
        assertThat(rolledBack).isEqualTo(before);
    }

    @Test
    void cutsOnlyThePortWhereTheServerHasEndPort() {
        ClusterSnapshot before = shop(V1_30);
        ActionPlan plan = planned(block("a2", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("granularity", "port");
        NetworkPolicy policy = (NetworkPolicy) ((Step.Create) plan.steps().get(1)).manifest();
        List<NetworkPolicyPort> ports = policy.getSpec().getEgress().get(1).getPorts();
        assertThat(ports)
                .extracting(p -> p.getProtocol() + " "
                        + (p.getPort() == null ? null : p.getPort().getIntVal()) + "-" + p.getEndPort())
                .containsExactly("TCP 1-4443", "TCP 4445-65535", "UDP null-null", "SCTP null-null");
        assertThat(policy.getSpec()
                        .getEgress()
                        .get(1)
                        .getTo()
                        .getFirst()
                        .getIpBlock()
                        .getCidr())
                .isEqualTo(C2 + "/32");

        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 443)).isTrue();
        ConnectivityDiff web1 = diff(before, after, WEB_1);
        assertThat(web1.gains()).isEmpty();
        assertThat(web1.losses())
                .singleElement()
                .satisfies(change -> assertThat(change.lost().toString()).isEqualTo("TCP 4444"));
    }

    @Test
    void aPodPeerGetsALabelSoThatOnlyItIsLeftOut() {
        ClusterSnapshot before = shop(V1_20);
        ActionPlan plan = planned(block("a3", "shop/web-1", "egress", "10.0.0.20", 5432, "address"), before);

        assertThat(plan.params()).containsEntry("peerPod", "shop/db-0");
        assertThat(plan.steps()).map(Step::describe).contains("relabel Pod shop/db-0: +label peer.stanch.dev/a3=true");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, DB, 5432)).isFalse();
        assertThat(allowed(after, WEB_2, DB, 5432)).isTrue();
        assertThat(allowed(after, WEB_1, Endpoint.pod("other", "client"), 80)).isTrue();
        ConnectivityDiff web1 = diff(before, after, WEB_1);
        assertThat(web1.gains()).isEmpty();
        // The peer's address is cut too, for network plugins whose ipBlocks match pod IPs.
        assertThat(web1.losses())
                .extracting(ConnectivityChange::peer)
                .containsExactlyInAnyOrder(DB, Endpoint.address("10.0.0.20"));
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);
    }

    @Test
    void cutsIngressFromOnePeer() {
        ClusterSnapshot before = shop(V1_20);
        ActionPlan plan = planned(block("a4", "shop/db-0", "ingress", "10.0.0.11", 5432, "address"), before);

        NetworkPolicy policy = (NetworkPolicy) ((Step.Create) plan.steps().get(2)).manifest();
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, DB, 5432)).isFalse();
        assertThat(allowed(after, WEB_2, DB, 5432)).isTrue();
        assertThat(allowed(after, DB, WEB_1, 8080)).isTrue();
        ConnectivityDiff db = diff(before, after, DB);
        assertThat(db.gains()).isEmpty();
        assertThat(db.losses())
                .extracting(ConnectivityChange::peer)
                .containsExactlyInAnyOrder(WEB_1, Endpoint.address("10.0.0.11"));
    }

    @Test
    void blocksOnOnePodCoexistAndRollBackAlone() {
        ClusterSnapshot start = shop(V1_20);
        ActionPlan first = planned(block("b1", "shop/web-1", "egress", C2, 4444, "address"), start);
        ClusterSnapshot one = ClusterSimulator.apply(start, first.steps());
        ActionPlan second = planned(block("b2", "shop/web-1", "egress", "198.51.100.9", 22, "address"), one);
        assertThat(second.preImages())
                .extracting(o -> o.getMetadata().getName())
                .contains("stanch-block-b1");
        ClusterSnapshot both = ClusterSimulator.apply(one, second.steps());

        assertThat(allowed(both, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(both, WEB_1, Endpoint.address("198.51.100.9"), 22)).isFalse();
        assertThat(BlockConnection.INSTANCE.verify(first, both)).isEmpty();
        assertThat(BlockConnection.INSTANCE.verify(second, both)).isEmpty();
        assertThat(diff(start, both, WEB_1).gains()).isEmpty();

        ClusterSnapshot firstRolledBack = ClusterSimulator.apply(both, first.undo());
        assertThat(allowed(firstRolledBack, WEB_1, Endpoint.address(C2), 4444)).isTrue();
        assertThat(allowed(firstRolledBack, WEB_1, Endpoint.address("198.51.100.9"), 22))
                .isFalse();
        assertThat(BlockConnection.INSTANCE.verify(second, firstRolledBack)).isEmpty();

        ClusterSnapshot none = ClusterSimulator.apply(firstRolledBack, second.undo());
        assertThat(none).isEqualTo(start);
    }

    @Test
    void refusesWhenAnotherPolicyAllowsTheFlowAndNothingCanDeny() {
        NetworkPolicy allowAll = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("web-egress")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "web"))
                .endPodSelector()
                .withPolicyTypes("Egress")
                .addNewEgress()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .endIpBlock()
                .endTo()
                .endEgress()
                .endSpec()
                .build();
        Planning.Refused refused = refused(BlockConnection.INSTANCE.plan(
                block("c1", "shop/web-1", "egress", C2, 4444, "port"), shop(V1_20, allowAll)));

        assertThat(refused.reason()).isEqualTo(Refusal.UNSUPPORTED);
        assertThat(refused.message())
                .contains("a NetworkPolicy cannot cut shop/web-1 -> 203.0.113.7:4444 (TCP)")
                .contains("NetworkPolicy shop/web-egress")
                .contains("no API that can deny");
    }

    @Test
    void deniesWithAnAdminNetworkPolicyWhereTheClusterHasOne() {
        NetworkPolicy allowAll = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("web-egress")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "web"))
                .endPodSelector()
                .withPolicyTypes("Egress")
                .addNewEgress()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .endIpBlock()
                .endTo()
                .endEgress()
                .endSpec()
                .build();
        ClusterSnapshot before = shop(V1_30_ANP, allowAll);
        ActionPlan plan = planned(block("d1", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("policy", "AdminNetworkPolicy").containsEntry("granularity", "port");
        GenericKubernetesResource anp =
                (GenericKubernetesResource) ((Step.Create) plan.steps().get(1)).manifest();
        assertThat(anp.getMetadata().getName()).isEqualTo("stanch-block-d1");
        assertThat(anp.getAdditionalProperties().get("spec").toString())
                .contains("priority=0")
                .contains("action=Deny")
                .contains("networks=[203.0.113.7/32]")
                .contains("portNumber={protocol=TCP, port=4444}");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 443)).isTrue();
        assertThat(allowed(after, WEB_2, Endpoint.address(C2), 4444)).isTrue();
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);
    }

    @Test
    void refusesWhatIsAlreadyDenied() {
        NetworkPolicy denyEgress = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("deny-egress")
                .endMetadata()
                .withNewSpec()
                .withPodSelector(new LabelSelector())
                .withPolicyTypes("Egress")
                .endSpec()
                .build();
        Planning.Refused refused = refused(BlockConnection.INSTANCE.plan(
                block("e1", "shop/web-1", "egress", C2, 4444, "port"), shop(V1_20, denyEgress)));
        assertThat(refused.reason()).isEqualTo(Refusal.ALREADY_IN_EFFECT);
        assertThat(refused.message()).contains("already denied").contains("deny-egress");
    }

    @Test
    void refusesWhatItMustNotTouch() {
        ClusterSnapshot cluster = shop(V1_20);
        assertThat(refused(BlockConnection.INSTANCE.plan(
                        block("f1", "kube-system/dns", "egress", C2, 53, "port"), cluster)))
                .extracting(Planning.Refused::reason)
                .isEqualTo(Refusal.PROTECTED);
        assertThat(refused(BlockConnection.INSTANCE.plan(block("f2", "shop/nope", "egress", C2, 53, "port"), cluster))
                        .message())
                .isEqualTo("pod shop/nope does not exist");
        assertThat(refused(BlockConnection.INSTANCE.plan(
                                block("f3", "shop/web-1", "egress", "0.0.0.0", null, "port"), cluster))
                        .message())
                .contains("listening socket");
        assertThat(refused(BlockConnection.INSTANCE.plan(
                                block("f4", "shop/web-1", "egress", "10.0.9.9", 53, "port"), cluster))
                        .message())
                .contains("protected namespace kube-system");
        assertThat(refused(BlockConnection.INSTANCE.plan(
                                block("f5", "shop/web-1", "egress", "10.0.0.11", 80, "port"), cluster))
                        .message())
                .contains("is the pod itself");
        assertThat(refused(BlockConnection.INSTANCE.plan(
                                block("f6", "shop/web-1", "egress", "not-an-ip", 80, "port"), cluster))
                        .message())
                .contains("peerIp is not an IP address: 'not-an-ip'");
    }

    /** An AdminNetworkPolicy that allows the pods of namespace shop everything, at this priority. */
    static GenericKubernetesResource adminAllow(String name, int priority) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("priority", priority);
        spec.put("subject", Map.of("namespaces", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "shop"))));
        spec.put(
                "egress",
                List.of(Map.of(
                        "name",
                        "all-out",
                        "action",
                        "Allow",
                        "to",
                        List.of(Map.of("networks", List.of("0.0.0.0/0"))))));
        return new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion("policy.networking.k8s.io/v1alpha1")
                .withKind("AdminNetworkPolicy")
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }

    @Test
    void anAdminAllowShadowsANetworkPolicyAndIsOvertakenByAHigherPriorityDeny() {
        ClusterSnapshot before = shop(V1_30_ANP, adminAllow("platform-egress", 20));
        ActionPlan plan = planned(block("g1", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("policy", "AdminNetworkPolicy");
        assertThat(plan.warnings())
                .anySatisfy(w -> assertThat(w)
                        .contains("a NetworkPolicy would not cut the flow")
                        .contains("platform-egress"));
        GenericKubernetesResource anp =
                (GenericKubernetesResource) ((Step.Create) plan.steps().get(1)).manifest();
        assertThat(((Map<?, ?>) anp.getAdditionalProperties().get("spec")).get("priority"))
                .isEqualTo(19);
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(after, WEB_2, Endpoint.address(C2), 4444)).isTrue();
        assertThat(diff(before, after, WEB_1).gains()).isEmpty();
    }

    @Test
    void refusesWhenEvenTheAdminTierCannotGoFirst() {
        ClusterSnapshot before = shop(V1_30_ANP, adminAllow("first", 0));
        Planning.Refused refused =
                refused(BlockConnection.INSTANCE.plan(block("g2", "shop/web-1", "egress", C2, 4444, "port"), before));
        // Two policies at priority 0: the engine (like the API) cannot promise ours goes first.
        assertThat(refused.reason()).isIn(Refusal.INEFFECTIVE);
        assertThat(refused.message()).contains("neither a NetworkPolicy").contains("first");
    }

    @Test
    void refusesAnActionIdWhosePolicyNameIsTaken() {
        ClusterSnapshot cluster = shop(V1_20);
        ActionPlan plan = planned(block("h1", "shop/web-1", "egress", C2, 4444, "port"), cluster);
        ClusterSnapshot after = ClusterSimulator.apply(cluster, plan.steps());
        Planning.Refused refused =
                refused(BlockConnection.INSTANCE.plan(block("h1", "shop/web-2", "egress", C2, 4444, "port"), after));
        assertThat(refused.reason()).isEqualTo(Refusal.INVALID);
        assertThat(refused.message())
                .isEqualTo("a policy named stanch-block-h1 exists already: action ids must be unique");
    }

    @Test
    void prefersAClusterNetworkPolicyWhereTheClusterHasOne() {
        ClusterSnapshot before = shop(
                ServerInfo.of(1, 33, ServerInfo.CLUSTER_NETWORK_POLICY, ServerInfo.ADMIN_NETWORK_POLICY),
                adminAllow("platform-egress", 20));
        ActionPlan plan = planned(block("k1", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("policy", "ClusterNetworkPolicy");
        GenericKubernetesResource cnp =
                (GenericKubernetesResource) ((Step.Create) plan.steps().get(1)).manifest();
        assertThat(cnp.getApiVersion()).isEqualTo("policy.networking.k8s.io/v1alpha2");
        Map<?, ?> spec = (Map<?, ?>) cnp.getAdditionalProperties().get("spec");
        assertThat(spec.get("tier")).isEqualTo("Admin");
        assertThat(spec.get("priority")).isEqualTo(19);
        assertThat(spec.get("egress").toString())
                .contains("action=Deny")
                .contains("protocols=[{tcp={destinationPort={number=4444}}}]");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 443)).isTrue();
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);
    }

    @Test
    void aPeerAddressIsAPodOnlyWhileThatPodLives() {
        ClusterSnapshot cluster = shop(V1_20);
        Pod gone = new PodBuilder(pod("other", "old-db", "10.0.0.20", Map.of("app", "db")))
                .editMetadata()
                .withDeletionTimestamp("2026-11-22T10:00:00Z")
                .endMetadata()
                .build();
        Pod twin = pod("other", "twin", "10.0.0.20", Map.of("app", "twin"));
        List<Pod> withGone = new java.util.ArrayList<>(cluster.pods());
        withGone.addFirst(gone);
        ClusterSnapshot terminating = new ClusterSnapshot(
                cluster.server(),
                cluster.namespaces(),
                withGone,
                List.of(),
                List.of(),
                cluster.ciliumPolicies(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
        ActionPlan plan = planned(block("m1", "shop/web-1", "egress", "10.0.0.20", 5432, "address"), terminating);
        assertThat(plan.params()).containsEntry("peerPod", "shop/db-0");

        List<Pod> withTwin = new java.util.ArrayList<>(cluster.pods());
        withTwin.add(twin);
        ClusterSnapshot ambiguous = new ClusterSnapshot(
                cluster.server(),
                cluster.namespaces(),
                withTwin,
                List.of(),
                List.of(),
                cluster.ciliumPolicies(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
        assertThat(refused(BlockConnection.INSTANCE.plan(
                                block("m2", "shop/web-1", "egress", "10.0.0.20", 5432, "address"), ambiguous))
                        .message())
                .isEqualTo("the peer 10.0.0.20 is the address of several live pods (other/twin, shop/db-0): Stanch"
                        + " cannot tell which one the detector saw");
    }

    // ------------------------------------------------------------------ Cilium

    /** A NetworkPolicy that lets the web pods reach every address outside the cluster. */
    static NetworkPolicy webEgressEverywhere() {
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("web-egress")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "web"))
                .endPodSelector()
                .withPolicyTypes("Egress")
                .addNewEgress()
                .addNewTo()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .endIpBlock()
                .endTo()
                .endEgress()
                .endSpec()
                .build();
    }

    private static String yaml(HasMetadata manifest) {
        return new KubernetesSerialization().asYaml(manifest);
    }

    @Test
    void deniesWithACiliumNetworkPolicyWhereOnlyCiliumCanDeny() {
        ClusterSnapshot before = shop(V1_30_CILIUM, webEgressEverywhere());
        ActionPlan plan = planned(block("n1", "shop/web-1", "egress", C2, 4444, "port"), before);

        assertThat(plan.params()).containsEntry("policy", "CiliumNetworkPolicy").containsEntry("granularity", "port");
        assertThat(plan.summary())
                .isEqualTo("Cut shop/web-1 -> 203.0.113.7:4444 (TCP) with CiliumNetworkPolicy stanch-block-n1; the pod"
                        + " keeps all its other traffic.");
        assertThat(plan.warnings())
                .anySatisfy(w -> assertThat(w)
                        .startsWith("a NetworkPolicy would not cut the flow")
                        .contains("NetworkPolicy shop/web-egress")
                        .endsWith("a CiliumNetworkPolicy denies it instead"));
        assertThat(plan.steps())
                .map(Step::describe)
                .containsExactly(
                        "relabel Pod shop/web-1: +label block.stanch.dev/n1=true",
                        "create CiliumNetworkPolicy shop/stanch-block-n1");
        assertThat(plan.undo())
                .map(Step::describe)
                .containsExactly(
                        "delete CiliumNetworkPolicy shop/stanch-block-n1 (created by this action)",
                        "relabel Pod shop/web-1: -label block.stanch.dev/n1");
        assertThat(yaml(((Step.Create) plan.steps().get(1)).manifest())).isEqualTo("""
                ---
                apiVersion: "cilium.io/v2"
                kind: "CiliumNetworkPolicy"
                metadata:
                  labels:
                    app.kubernetes.io/managed-by: "stanch"
                    stanch.dev/action-id: "n1"
                  name: "stanch-block-n1"
                  namespace: "shop"
                spec:
                  endpointSelector:
                    matchLabels:
                      block.stanch.dev/n1: "true"
                  enableDefaultDeny:
                    egress: false
                    ingress: false
                  egressDeny:
                  - toCIDR:
                    - "203.0.113.7/32"
                    toPorts:
                    - ports:
                      - port: "4444"
                        protocol: "TCP"
                """);

        // The proof: on the cluster as the steps leave it, the flow is cut and nothing else changes.
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(after.networkState().warnings()).isEmpty();
        Verdict cut = NetpolEngine.index(after.networkState()).allowed(WEB_1, Endpoint.address(C2), Protocol.TCP, 4444);
        assertThat(cut.allowed()).isFalse();
        assertThat(cut.egress().tier()).isEqualTo(Tier.CILIUM_DENY);
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 443)).isTrue();
        assertThat(allowed(after, WEB_2, Endpoint.address(C2), 4444)).isTrue();
        ConnectivityDiff web1 = diff(before, after, WEB_1);
        assertThat(web1.gains()).isEmpty();
        assertThat(web1.losses()).singleElement().satisfies(change -> {
            assertThat(change.peer()).isEqualTo(Endpoint.address(C2));
            assertThat(change.lost().toString()).isEqualTo("TCP 4444");
        });
        assertThat(plan.connectivityLost())
                .containsExactly(web1.losses().getFirst().toString());
        assertThat(diff(before, after, WEB_2).isEmpty()).isTrue();

        assertThat(BlockConnection.INSTANCE.verify(plan, before))
                .contains("CiliumNetworkPolicy stanch-block-n1 is missing");
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);
    }

    @Test
    void aCiliumBlockOfAPodPeerNamesItByItsLabelAndNamespace() {
        NetworkPolicy webToOther = new NetworkPolicyBuilder(webEgressEverywhere())
                .editSpec()
                .editFirstEgress()
                .addNewTo()
                .withNewNamespaceSelector()
                .endNamespaceSelector()
                .endTo()
                .endEgress()
                .endSpec()
                .build();
        ClusterSnapshot before = shop(V1_30_CILIUM, webToOther);
        ActionPlan plan = planned(block("n2", "shop/web-1", "egress", "10.0.1.5", 8080, "address"), before);

        assertThat(plan.params())
                .containsEntry("policy", "CiliumNetworkPolicy")
                .containsEntry("peerPod", "other/client")
                .containsEntry("granularity", "address");
        GenericKubernetesResource policy =
                (GenericKubernetesResource) ((Step.Create) plan.steps().get(2)).manifest();
        assertThat(yaml(policy)).contains("""
                  egressDeny:
                  - toEndpoints:
                    - matchLabels:
                        peer.stanch.dev/n2: "true"
                        k8s:io.kubernetes.pod.namespace: "other"
                """);
        assertThat(yaml(policy)).doesNotContain("toPorts");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        Endpoint client = Endpoint.pod("other", "client");
        assertThat(allowed(after, WEB_1, client, 8080)).isFalse();
        assertThat(allowed(after, WEB_2, client, 8080)).isTrue();
        assertThat(allowed(after, WEB_1, DB, 5432)).isTrue();
        ConnectivityDiff web1 = diff(before, after, WEB_1);
        assertThat(web1.gains()).isEmpty();
        assertThat(web1.losses()).singleElement().satisfies(change -> {
            assertThat(change.peer()).isEqualTo(client);
            assertThat(change.lost().isAll()).isTrue();
        });
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);
    }

    /** A NetworkPolicy that admits everyone outside the cluster to the db pod. */
    static NetworkPolicy dbIngressFromEverywhere() {
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("db-ingress")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", "db"))
                .endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .addNewFrom()
                .withNewIpBlock()
                .withCidr("0.0.0.0/0")
                .endIpBlock()
                .endFrom()
                .endIngress()
                .endSpec()
                .build();
    }

    @Test
    void ciliumCanDenyIngressFromAnAddressOutsideTheClusterWhereAnAdminTierPolicyCannot() {
        PlanInput ingress = block("n3", "shop/db-0", "ingress", "198.51.100.9", 5432, "port");
        Planning.Refused onAnp =
                refused(BlockConnection.INSTANCE.plan(ingress, shop(V1_30_ANP, dbIngressFromEverywhere())));
        assertThat(onAnp.reason()).isEqualTo(Refusal.UNSUPPORTED);
        assertThat(onAnp.message()).endsWith("; and an admin-tier policy cannot name an external source for ingress");

        ClusterSnapshot before = shop(V1_30_CILIUM, dbIngressFromEverywhere());
        ActionPlan plan = planned(ingress, before);
        assertThat(plan.params()).containsEntry("policy", "CiliumNetworkPolicy");
        assertThat(yaml(((Step.Create) plan.steps().get(1)).manifest())).contains("""
                  ingressDeny:
                  - fromCIDR:
                    - "198.51.100.9/32"
                    toPorts:
                    - ports:
                      - port: "5432"
                        protocol: "TCP"
                """);
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, Endpoint.address("198.51.100.9"), DB, 5432)).isFalse();
        assertThat(allowed(after, Endpoint.address("198.51.100.9"), DB, 22)).isTrue();
        assertThat(allowed(after, Endpoint.address("198.51.100.10"), DB, 5432)).isTrue();
        ConnectivityDiff db = diff(before, after, DB);
        assertThat(db.gains()).isEmpty();
        assertThat(db.losses()).singleElement().satisfies(change -> {
            assertThat(change.peer()).isEqualTo(Endpoint.address("198.51.100.9"));
            assertThat(change.lost().toString()).isEqualTo("TCP 5432");
        });
        assertThat(BlockConnection.INSTANCE.verify(plan, after)).isEmpty();
        assertThat(ClusterSimulator.apply(after, plan.undo())).isEqualTo(before);

        // Where the cluster serves both, what the admin tier cannot name falls to Cilium.
        ServerInfo both = cilium(30, ServerInfo.ADMIN_NETWORK_POLICY);
        assertThat(planned(ingress, shop(both, dbIngressFromEverywhere())).params())
                .containsEntry("policy", "CiliumNetworkPolicy");
    }

    /** A CiliumNetworkPolicy that lets the web pods reach the world, and so isolates them for egress. */
    static GenericKubernetesResource ciliumWebToWorld() {
        return new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion("cilium.io/v2")
                .withKind("CiliumNetworkPolicy")
                .withNewMetadata()
                .withNamespace("shop")
                .withName("web-to-world")
                .endMetadata()
                .withAdditionalProperties(Map.of(
                        "spec",
                        Map.of(
                                "endpointSelector",
                                Map.of("matchLabels", Map.of("app", "web")),
                                "egress",
                                List.of(Map.of("toEntities", List.of("world"))))))
                .build();
    }

    @Test
    void aPodThatCiliumAllowRulesSelectIsBlockedByACiliumDenyNotANetworkPolicy() {
        // The engine does not model Cilium's allow rules: it sees web-1 open, where a NetworkPolicy
        // "everything but the flow" would seem perfect, yet web-1 is isolated to the world and such a
        // policy would open the cluster to it.
        ClusterSnapshot before = shop(V1_30_CILIUM, ciliumWebToWorld());
        ActionPlan plan = planned(block("n7", "shop/web-1", "egress", C2, 4444, "port"), before);
        assertThat(plan.params()).containsEntry("policy", "CiliumNetworkPolicy");
        assertThat(plan.warnings())
                .contains("a NetworkPolicy would not cut the flow (CiliumNetworkPolicy shop/web-to-world selects the"
                        + " pod for egress with allow rules or a default-deny mode that the policy engine does not"
                        + " model, so what a NetworkPolicy would change cannot be proven): a CiliumNetworkPolicy"
                        + " denies it instead");
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        assertThat(allowed(after, WEB_1, Endpoint.address(C2), 4444)).isFalse();
        assertThat(diff(before, after, WEB_1).losses()).hasSize(1);

        Planning.Refused older = refused(BlockConnection.INSTANCE.plan(
                block("n8", "shop/web-1", "egress", C2, 4444, "port"),
                shop(ServerInfo.of(1, 30, ServerInfo.CILIUM_NETWORK_POLICY), ciliumWebToWorld())));
        assertThat(older.reason()).isEqualTo(Refusal.UNSUPPORTED);
        assertThat(older.message()).contains("web-to-world").contains("has no enableDefaultDeny");
    }

    @Test
    void refusesCiliumThatCannotLeaveDefaultDenyOff() {
        ServerInfo olderCilium = ServerInfo.of(1, 30, ServerInfo.CILIUM_NETWORK_POLICY);
        Planning.Refused refused = refused(BlockConnection.INSTANCE.plan(
                block("n4", "shop/web-1", "egress", C2, 4444, "port"), shop(olderCilium, webEgressEverywhere())));
        assertThat(refused.reason()).isEqualTo(Refusal.UNSUPPORTED);
        assertThat(refused.message())
                .startsWith("a NetworkPolicy cannot cut shop/web-1 -> 203.0.113.7:4444 (TCP)")
                .endsWith("; and the cluster's CiliumNetworkPolicy has no enableDefaultDeny (Cilium 1.16+): a policy"
                        + " of deny rules alone would put the pod into default deny and cut all its other egress"
                        + " traffic (and Cilium enforces no AdminNetworkPolicy, nor ClusterNetworkPolicy before"
                        + " 1.20)");
    }

    @Test
    void onACiliumClusterPrefersCiliumsDenyToAdminTierKindsCiliumMayNotEnforce() {
        // Cilium implements no AdminNetworkPolicy, and ClusterNetworkPolicy only from 1.20 where enabled.
        for (ServerInfo server :
                List.of(cilium(30, ServerInfo.ADMIN_NETWORK_POLICY), cilium(33, ServerInfo.CLUSTER_NETWORK_POLICY))) {
            ActionPlan plan =
                    planned(block("n5", "shop/web-1", "egress", C2, 4444, "port"), shop(server, webEgressEverywhere()));
            assertThat(plan.params()).containsEntry("policy", "CiliumNetworkPolicy");
        }
    }

    @Test
    void anExistingCiliumDenyMeansTheFlowIsAlreadyCut() {
        GenericKubernetesResource existing =
                CiliumPolicies.block("shop", "old", Direction.EGRESS, new BlockedFlow(C2, null, null, null), null);
        ClusterSnapshot cluster = shop(V1_30_CILIUM, webEgressEverywhere());
        List<Pod> pods = cluster.pods().stream()
                .map(pod -> pod.getMetadata().getName().equals("web-1")
                        ? new PodBuilder(pod)
                                .editMetadata()
                                .addToLabels("block.stanch.dev/old", "true")
                                .endMetadata()
                                .build()
                        : pod)
                .toList();
        ClusterSnapshot withDeny = cluster.withPods(pods).withCiliumPolicies(List.of(existing));
        Planning.Refused refused =
                refused(BlockConnection.INSTANCE.plan(block("n6", "shop/web-1", "egress", C2, 4444, "port"), withDeny));
        assertThat(refused.reason()).isEqualTo(Refusal.ALREADY_IN_EFFECT);
        assertThat(refused.message()).contains("CiliumNetworkPolicy shop/stanch-block-old egress rule #1");
    }
}
