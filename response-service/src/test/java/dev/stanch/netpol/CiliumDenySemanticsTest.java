package dev.stanch.netpol;

import static dev.stanch.netpol.Clusters.CLIENT;
import static dev.stanch.netpol.Clusters.DB;
import static dev.stanch.netpol.Clusters.PROM;
import static dev.stanch.netpol.Clusters.WEB;
import static dev.stanch.netpol.Clusters.withPolicies;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The deny rules of CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy: a tier before every
 * other, where a matching deny wins whatever else allows; Cilium's namespace scoping, label sources,
 * CIDRs, entities and ports. The policies here turn Cilium's default-deny mode off, which the engine
 * does not model (see {@link #warnsAboutWhatItDoesNotModel}).
 */
class CiliumDenySemanticsTest {

    private static final String EXTERNAL = "203.0.113.7";

    /** A CiliumNetworkPolicy with these lines of spec, which leaves Cilium's default-deny mode off. */
    private static String cnp(String name, String namespace, String spec) {
        return """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: %s, namespace: %s}
            spec:
              enableDefaultDeny: {egress: false, ingress: false}
            %s
            """.formatted(name, namespace, spec.stripTrailing().indent(2).stripTrailing());
    }

    @Test
    void aCiliumDenyOverridesANetworkPolicyAllow() {
        NetpolEngine engine = withPolicies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db-from-web, namespace: shop}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
                ---
                """ + cnp("db-deny", "shop", """
                endpointSelector: {matchLabels: {app: db}}
                ingressDeny:
                - fromEndpoints: [{matchLabels: {app: web}}]
                  toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
                """));
        Verdict verdict = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.ingress().tier()).isEqualTo(Tier.CILIUM_DENY);
        assertThat(verdict.ingress().rules().getFirst())
                .hasToString("CiliumNetworkPolicy shop/db-deny ingress rule #1");
        assertThat(verdict.explain())
                .contains("ingress denied by CiliumNetworkPolicy shop/db-deny ingress rule #1 (a Cilium deny rule");
        assertThat(engine.connections(WEB, DB).isEmpty()).isTrue();
    }

    @Test
    void aCiliumDenyOverridesAnAdminAllowAndCutsOnlyWhatItNames() {
        NetpolEngine engine = withPolicies("""
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: AdminNetworkPolicy
                metadata: {name: all-out}
                spec:
                  priority: 1
                  subject: {namespaces: {}}
                  egress: [{name: out, action: Allow, to: [{networks: [0.0.0.0/0]}]}]
                ---
                """ + cnp("web-c2", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toCIDR: [203.0.113.7/32]}]
                """));
        Verdict cut = engine.allowed(WEB, Endpoint.address(EXTERNAL), Protocol.TCP, 443);
        assertThat(cut.allowed()).isFalse();
        assertThat(cut.egress().tier()).isEqualTo(Tier.CILIUM_DENY);
        Verdict neighbour = engine.allowed(WEB, Endpoint.address("203.0.113.8"), Protocol.TCP, 443);
        assertThat(neighbour.allowed()).isTrue();
        assertThat(neighbour.egress().tier()).isEqualTo(Tier.ADMIN);
        assertThat(engine.connections(DB, Endpoint.address(EXTERNAL)).isAll()).isTrue();
        // CIDR rules match addresses outside the cluster only: the pods are not affected.
        assertThat(engine.connections(WEB, DB).isAll()).isTrue();
    }

    @Test
    void peerSelectorsThatNameNoNamespaceMeanThePolicysOwn() {
        NetpolEngine sameNamespace = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toEndpoints: [{matchLabels: {role: client}}]}, {toEndpoints: [{matchLabels: {app: db}}]}]
                """));
        assertThat(sameNamespace.connections(WEB, CLIENT).isAll()).isTrue();
        assertThat(sameNamespace.connections(WEB, DB).isEmpty()).isTrue();

        NetpolEngine byName = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toEndpoints: [{matchLabels: {role: client, "k8s:io.kubernetes.pod.namespace": other}}]}]
                """));
        assertThat(byName.connections(WEB, CLIENT).isEmpty()).isTrue();

        NetpolEngine byLabels = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {"any:app": web}}
                egressDeny:
                - toEndpoints:
                  - matchExpressions: [{key: io.cilium.k8s.namespace.labels.team, operator: In, values: [a]}]
                """));
        assertThat(byLabels.connections(WEB, CLIENT).isEmpty()).isTrue();
        assertThat(byLabels.connections(WEB, DB).isAll()).isTrue();
        assertThat(byLabels.connections(WEB, PROM).isAll()).isTrue();
    }

    @Test
    void aCiliumNetworkPolicyAppliesToPodsOfItsOwnNamespaceOnly() {
        // Cilium overwrites the namespace of a CiliumNetworkPolicy's endpointSelector with its own.
        NetpolEngine engine = withPolicies(cnp("all-of-them", "other", """
                endpointSelector: {matchLabels: {"k8s:io.kubernetes.pod.namespace": shop}}
                egressDeny: [{toCIDR: [203.0.113.7/32]}]
                """));
        assertThat(engine.connections(CLIENT, Endpoint.address(EXTERNAL)).isEmpty())
                .isTrue();
        assertThat(engine.connections(WEB, Endpoint.address(EXTERNAL)).isAll()).isTrue();
        assertThat(engine.connections(PROM, Endpoint.address(EXTERNAL)).isAll()).isTrue();
    }

    @Test
    void aClusterwidePolicyReachesEveryNamespace() {
        NetpolEngine engine = withPolicies("""
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: protect-db}
                spec:
                  endpointSelector: {}
                  enableDefaultDeny: {egress: false}
                  egressDeny: [{toEndpoints: [{matchLabels: {app: db}}]}]
                """);
        assertThat(engine.connections(WEB, DB).isEmpty()).isTrue();
        assertThat(engine.connections(CLIENT, DB).isEmpty()).isTrue();
        assertThat(engine.connections(PROM, DB).isEmpty()).isTrue();
        assertThat(engine.connections(DB, WEB).isAll()).isTrue();
        assertThat(engine.allowed(CLIENT, DB, Protocol.UDP, 53).egress().rules().getFirst())
                .hasToString("CiliumClusterwideNetworkPolicy protect-db egress rule #1");
    }

    @Test
    void cidrSetsExceptionsAndEntities() {
        NetpolEngine cidrSet = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.10.0.0/16]}]}]
                """));
        assertThat(cidrSet.connections(WEB, Endpoint.address("10.0.0.1")).isEmpty())
                .isTrue();
        assertThat(cidrSet.connections(WEB, Endpoint.address("10.10.1.1")).isAll())
                .isTrue();

        NetpolEngine world = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toEntities: [world]}]
                ingressDeny: [{fromEntities: [cluster]}]
                """));
        assertThat(world.connections(WEB, Endpoint.address(EXTERNAL)).isEmpty()).isTrue();
        assertThat(world.connections(WEB, Endpoint.address("2001:db8::1")).isEmpty())
                .isTrue();
        assertThat(world.connections(WEB, DB).isAll()).isTrue();
        assertThat(world.connections(CLIENT, WEB).isEmpty()).isTrue();
        assertThat(world.connections(Endpoint.address(EXTERNAL), WEB).isAll()).isTrue();

        NetpolEngine ingressFromOutside = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                ingressDeny: [{fromCIDR: [198.51.100.0/24]}]
                """));
        assertThat(ingressFromOutside
                        .connections(Endpoint.address("198.51.100.5"), WEB)
                        .isEmpty())
                .isTrue();
        assertThat(ingressFromOutside
                        .connections(Endpoint.address(EXTERNAL), WEB)
                        .isAll())
                .isTrue();
    }

    @Test
    void portsByNumberRangeNameAndAnyProtocol() {
        NetpolEngine engine = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny:
                - toEndpoints: [{matchLabels: {app: db}}]
                  toPorts:
                  - ports: [{port: "5000", endPort: 5100, protocol: TCP}, {port: pg}]
                  - ports: [{port: "53"}, {port: "0", protocol: SCTP}, {port: "1", protocol: ICMP}]
                """));
        ConnectionSet denied = ConnectionSet.of(Protocol.TCP, 5000, 5100)
                .union(ConnectionSet.of(Protocol.TCP, 5432))
                .union(ConnectionSet.of(Protocol.TCP, 53))
                .union(ConnectionSet.of(Protocol.UDP, 53))
                .union(ConnectionSet.allOf(Protocol.SCTP));
        assertThat(engine.connections(WEB, DB)).isEqualTo(ConnectionSet.ALL.minus(denied));
        // A named port is resolved on the destination: web has no port named pg.
        assertThat(engine.connections(DB, WEB).isAll()).isTrue();
    }

    @Test
    void aRuleWithPortsButNoPeerDeniesThosePortsEverywhereAndAnEmptyRuleNothing() {
        NetpolEngine engine = withPolicies(cnp("p", "shop", """
                endpointSelector: {matchLabels: {app: web}}
                egressDeny: [{toPorts: [{ports: [{port: "22", protocol: TCP}]}]}, {}, {icmps: [{fields: [{type: 8}]}]}]
                """));
        ConnectionSet ssh = ConnectionSet.of(Protocol.TCP, 22);
        assertThat(engine.connections(WEB, DB)).isEqualTo(ConnectionSet.ALL.minus(ssh));
        assertThat(engine.connections(WEB, Endpoint.address(EXTERNAL))).isEqualTo(ConnectionSet.ALL.minus(ssh));
        assertThat(engine.connections(DB, WEB).isAll()).isTrue();
    }

    @Test
    void specsHoldRuleSetsOfTheirOwn() {
        NetpolEngine engine = withPolicies("""
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: two, namespace: shop}
                specs:
                - endpointSelector: {matchLabels: {app: web}}
                  enableDefaultDeny: {egress: false, ingress: false}
                  egressDeny: [{toCIDR: [203.0.113.7/32]}]
                - endpointSelector: {matchLabels: {app: db}}
                  enableDefaultDeny: {egress: false, ingress: false}
                  ingressDeny: [{fromEndpoints: [{}]}]
                """);
        assertThat(engine.allowed(WEB, Endpoint.address(EXTERNAL), Protocol.TCP, 1)
                        .egress()
                        .rules()
                        .getFirst())
                .hasToString("CiliumNetworkPolicy shop/two egress rule #1 \"specs[0]\"");
        assertThat(engine.connections(WEB, DB).isEmpty()).isTrue();
        assertThat(engine.connections(CLIENT, DB).isAll()).isTrue(); // {} means the policy's namespace
    }

    @Test
    void warnsAboutWhatItDoesNotModel() {
        ClusterState state = Clusters.state(Clusters.TOPOLOGY + """
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: mixed, namespace: shop}
                spec:
                  endpointSelector: {matchLabels: {io.cilium.k8s.policy.serviceaccount: web}}
                  egress: [{toEndpoints: [{}]}]
                  egressDeny: [{toServices: [{k8sService: {serviceName: db, namespace: shop}}]}]
                ---
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: host}
                spec:
                  nodeSelector: {}
                  ingressDeny: [{fromEntities: [world]}]
                """);
        assertThat(state.warnings())
                .containsExactly(
                        "CiliumNetworkPolicy shop/mixed spec.endpointSelector: 'io.cilium.k8s.policy.serviceaccount'"
                                + " is not a label the engine knows pods by; no pod carries it here",
                        "CiliumNetworkPolicy shop/mixed spec: its allow rules (egress) are not modelled; only its deny"
                                + " rules are evaluated",
                        "CiliumNetworkPolicy shop/mixed spec: puts the pods it selects into default deny for egress"
                                + " (enableDefaultDeny), which is not modelled: what no allow rule allows is dropped in"
                                + " the cluster, not here",
                        "CiliumNetworkPolicy shop/mixed spec.egressDeny[0].toServices: 'toServices' peers cannot be"
                                + " resolved from manifests; they match nothing here",
                        "CiliumClusterwideNetworkPolicy host spec: selects nodes (nodeSelector), not pods; ignored");
        assertThat(state.ciliumPolicies()).hasSize(1);
    }

    @Test
    void saysWhichPodsAPolicyAffectsBeyondItsDenyRules() {
        ClusterState state = Clusters.state(Clusters.TOPOLOGY + """
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: web-out, namespace: shop}
                spec:
                  endpointSelector: {matchLabels: {app: web}}
                  egress: [{toEntities: [world]}]
                  enableDefaultDeny: {ingress: false}
                ---
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: deny-only}
                spec:
                  endpointSelector: {}
                  ingressDeny: [{fromCIDR: [198.51.100.0/24]}]
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: stanch-like, namespace: shop}
                spec:
                  endpointSelector: {matchLabels: {app: db}}
                  enableDefaultDeny: {egress: false, ingress: false}
                  egressDeny: [{toCIDR: [203.0.113.7/32]}]
                """);
        NetpolEngine engine = NetpolEngine.index(state);
        Endpoint.Pod web = new Endpoint.Pod("shop", "web");
        Endpoint.Pod db = new Endpoint.Pod("shop", "db");
        // Allow rules for egress; a deny rule alone puts every pod into default deny for ingress.
        assertThat(engine.unmodelled(web, Direction.EGRESS))
                .extracting(PolicyRef::toString)
                .containsExactly("CiliumNetworkPolicy shop/web-out");
        assertThat(engine.unmodelled(web, Direction.INGRESS))
                .extracting(PolicyRef::toString)
                .containsExactly("CiliumClusterwideNetworkPolicy deny-only");
        assertThat(engine.unmodelled(db, Direction.EGRESS)).isEmpty();
        assertThat(engine.unmodelled(new Endpoint.Pod("other", "client"), Direction.INGRESS))
                .hasSize(1);
    }

    @Test
    void leavesOutWhatCiliumWouldReject() {
        ManifestReader.Manifests read = ManifestReader.read("cnp.yaml", """
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: two-ways, namespace: shop}
                spec:
                  endpointSelector: {}
                  enableDefaultDeny: {egress: false}
                  egressDeny: [{toEndpoints: [{}], toCIDR: [10.0.0.0/8]}]
                """);
        assertThat(read.objects()).isEmpty();
        assertThat(read.warnings())
                .containsExactly("cnp.yaml: document 1 (CiliumNetworkPolicy shop/two-ways): spec.egressDeny[0]: set at"
                        + " most one of toEndpoints, toCIDR (Cilium rejects a rule that names its peers in two ways);"
                        + " skipped");

        ClusterState state = ClusterState.of(List.of(new GenericKubernetesResourceBuilder()
                .withApiVersion("cilium.io/v2")
                .withKind("CiliumNetworkPolicy")
                .withNewMetadata()
                .withName("bad-port")
                .withNamespace("shop")
                .endMetadata()
                .withAdditionalProperties(Map.of(
                        "spec",
                        Map.of(
                                "endpointSelector",
                                Map.of(),
                                "egressDeny",
                                List.of(Map.of(
                                        "toPorts", List.of(Map.of("ports", List.of(Map.of("port", "70000")))))))))
                .build()));
        assertThat(state.warnings())
                .containsExactly("CiliumNetworkPolicy shop/bad-port: spec.egressDeny[0].toPorts[0].ports[0].port: 70000"
                        + " is not a port (1-65535); skipped");
        assertThat(state.ciliumPolicies()).isEmpty();
    }
}
