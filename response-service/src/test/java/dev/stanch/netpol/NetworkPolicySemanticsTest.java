package dev.stanch.netpol;

import static dev.stanch.netpol.Clusters.CLIENT;
import static dev.stanch.netpol.Clusters.DB;
import static dev.stanch.netpol.Clusters.PROM;
import static dev.stanch.netpol.Clusters.WEB;
import static dev.stanch.netpol.Clusters.withPolicies;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** networking.k8s.io/v1 NetworkPolicy, one behaviour per test. */
class NetworkPolicySemanticsTest {

    private static final PolicyRef DB_INGRESS = new PolicyRef(PolicyKind.NETWORK_POLICY, "shop", "db-ingress");

    @Test
    void withoutPoliciesEverythingIsAllowedByDefault() {
        NetpolEngine engine = withPolicies("");
        Verdict verdict = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.egress().tier()).isEqualTo(Tier.DEFAULT);
        assertThat(verdict.ingress().tier()).isEqualTo(Tier.DEFAULT);
        assertThat(engine.connections(CLIENT, DB)).isEqualTo(ConnectionSet.ALL);
    }

    @Test
    void aPolicyWithoutPolicyTypesIsolatesIngressOnly() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db-ingress, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress:
              - from: [{podSelector: {matchLabels: {app: web}}}]
                ports: [{port: 5432}]
            """);
        Verdict allowed = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(allowed.allowed()).isTrue();
        assertThat(allowed.ingress().tier()).isEqualTo(Tier.NETWORK_POLICY);
        assertThat(allowed.ingress().rules())
                .containsExactly(new RuleRef(DB_INGRESS, Direction.INGRESS, 1, null, Action.ALLOW));

        Verdict otherPort = engine.allowed(WEB, DB, Protocol.TCP, 5433);
        assertThat(otherPort.allowed()).isFalse();
        assertThat(otherPort.ingress().isolatedBy()).containsExactly(DB_INGRESS);
        assertThat(otherPort.explain())
                .contains("ingress denied: the pod is isolated for ingress by NetworkPolicy shop/db-ingress");

        // The rule names TCP implicitly (the API default) and a peer in the policy's namespace only.
        assertThat(engine.allowed(WEB, DB, Protocol.UDP, 5432).allowed()).isFalse();
        assertThat(engine.allowed(CLIENT, DB, Protocol.TCP, 5432).allowed()).isFalse();
        // db's egress is not isolated by an ingress-only policy.
        assertThat(engine.allowed(DB, CLIENT, Protocol.TCP, 80).allowed()).isTrue();
        assertThat(engine.connections(WEB, DB)).hasToString("TCP 5432");
    }

    @Test
    void egressIsIsolatedByEgressRulesOrByPolicyTypes() {
        String emptyEgressList = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: no-types, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          egress: []
        """;
        // An empty egress list is no egress rule: the defaulted policyTypes is just Ingress.
        NetpolEngine engine = withPolicies(emptyEgressList);
        assertThat(engine.allowed(WEB, CLIENT, Protocol.TCP, 80).allowed()).isTrue();
        assertThat(engine.allowed(CLIENT, WEB, Protocol.TCP, 80).allowed()).isFalse();

        NetpolEngine denyEgress = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-egress, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
            """);
        Verdict verdict = denyEgress.allowed(WEB, CLIENT, Protocol.TCP, 80);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.egress().tier()).isEqualTo(Tier.NETWORK_POLICY);
        assertThat(denyEgress.allowed(CLIENT, WEB, Protocol.TCP, 80).allowed()).isTrue();
    }

    @Test
    void rulesOfEveryPolicySelectingAPodAddUp() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: a, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress: [{ports: [{port: 5432}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: b, namespace: shop}
            spec:
              podSelector: {matchLabels: {tier: backend}}
              ingress:
              - ports: [{port: 6432}, {port: 5432}]
            """);
        assertThat(engine.connections(CLIENT, DB)).hasToString("TCP 5432,6432");
        // Both policies allow 5432: a planner must know that removing one is not enough.
        assertThat(engine.allowed(CLIENT, DB, Protocol.TCP, 5432).ingress().rules())
                .extracting(rule -> rule.policy().name())
                .containsExactly("a", "b");
        assertThat(engine.allowed(CLIENT, DB, Protocol.TCP, 5432).ingress().isolatedBy())
                .hasSize(2);
    }

    @Test
    void bothSidesMustAllow() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web-egress, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
              egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db-ingress, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}]}]
            """);
        Verdict verdict = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.egress().allowed()).isTrue();
        assertThat(verdict.ingress().allowed()).isFalse();
        assertThat(verdict.denials()).containsExactly(verdict.ingress());
        // The client's egress is open and db admits its namespace.
        assertThat(engine.allowed(CLIENT, DB, Protocol.TCP, 5432).allowed()).isTrue();
        assertThat(engine.connections(WEB, DB)).isEqualTo(ConnectionSet.NONE);
    }

    @Test
    void aPodMayAlwaysReachItself() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: shop}
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
            """);
        Verdict verdict = engine.allowed(DB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.ingress().tier()).isEqualTo(Tier.SAME_POD);
        assertThat(engine.allowed(WEB, DB, Protocol.TCP, 5432).allowed()).isFalse();
        assertThat(engine.connections(DB, DB)).isEqualTo(ConnectionSet.ALL);
    }

    @Test
    void matchExpressionsInPodAndNamespaceSelectors() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: expressions, namespace: shop}
            spec:
              podSelector:
                matchExpressions: [{key: tier, operator: In, values: [backend, storage]}]
              ingress:
              - from:
                - namespaceSelector:
                    matchExpressions: [{key: env, operator: NotIn, values: [prod]}]
                  podSelector:
                    matchExpressions: [{key: role, operator: Exists}]
                ports: [{port: 1}]
              - from:
                - namespaceSelector:
                    matchExpressions: [{key: team, operator: DoesNotExist}]
                ports: [{port: 2}]
            """);
        // tier In (backend, storage) selects db, not web.
        assertThat(engine.connections(CLIENT, WEB)).isEqualTo(ConnectionSet.ALL);
        // other (env=dev, NotIn prod) and the client has a role: port 1.
        // monitoring has no env label: NotIn matches, but prom has no role; it has no team: port 2.
        assertThat(engine.connections(CLIENT, DB)).hasToString("TCP 1");
        assertThat(engine.connections(PROM, DB)).hasToString("TCP 2");
        // shop has env=prod and no team label: web gets port 2 only.
        assertThat(engine.connections(WEB, DB)).hasToString("TCP 2");
    }

    @Test
    void selectorsInOnePeerAreAndedAndPeersAreOred() {
        String both = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: and, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {env: dev}}
              podSelector: {matchLabels: {app: prometheus}}
        """;
        assertThat(withPolicies(both).connections(CLIENT, DB).isEmpty()).isTrue();
        assertThat(withPolicies(both).connections(PROM, DB).isEmpty()).isTrue();
        String either = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: or, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {env: dev}}
            - podSelector: {matchLabels: {app: prometheus}}
        """;
        assertThat(withPolicies(either).connections(CLIENT, DB)).isEqualTo(ConnectionSet.ALL);
        // A podSelector alone stays in the policy's namespace: prom is in monitoring.
        assertThat(withPolicies(either).connections(PROM, DB).isEmpty()).isTrue();
    }

    @Test
    void namedPortsResolveOnTheDestinationWithTheirProtocol() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: named, namespace: shop}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: http}, {port: dns, protocol: UDP}, {port: pg, protocol: UDP}]}]
              egress: [{ports: [{port: pg}]}]
              policyTypes: [Ingress, Egress]
            """);
        // web's http is TCP 8080; db's dns is UDP 53; pg is TCP, so "pg over UDP" matches nothing.
        assertThat(engine.connections(CLIENT, WEB)).hasToString("TCP 8080");
        assertThat(engine.connections(CLIENT, DB)).hasToString("UDP 53");
        Verdict verdict = engine.allowed(CLIENT, WEB, Protocol.TCP, 8080);
        assertThat(verdict.allowed()).isTrue();
        assertThat(engine.allowed(CLIENT, WEB, Protocol.TCP, 9090).allowed()).isFalse();
        // Egress named ports resolve on the peer: pg means 5432 towards db, nothing towards web.
        assertThat(engine.allowed(WEB, DB, Protocol.TCP, 5432).egress().allowed())
                .isTrue();
        assertThat(engine.allowed(DB, WEB, Protocol.TCP, 5432).egress().allowed())
                .isFalse();
        // An external address has no named ports.
        assertThat(engine.connections(WEB, Endpoint.address("198.51.100.1")).isEmpty())
                .isTrue();
    }

    @Test
    void endPortAllowsARange() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: range, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress: [{ports: [{port: 8000, endPort: 8100, protocol: SCTP}, {protocol: UDP}]}]
            """);
        assertThat(engine.connections(WEB, DB)).hasToString("SCTP 8000-8100,UDP 1-65535");
        assertThat(engine.allowed(WEB, DB, Protocol.SCTP, 8100).allowed()).isTrue();
        assertThat(engine.allowed(WEB, DB, Protocol.SCTP, 8101).allowed()).isFalse();
    }

    @Test
    void ipBlocksWithExceptInBothFamiliesMatchExternalAddressesOnly() {
        NetpolEngine engine = withPolicies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: egress-blocks, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
              egress:
              - to:
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:bad::/48"]}
            """);
        assertThat(engine.allowed(WEB, Endpoint.address("10.2.0.1"), Protocol.TCP, 443)
                        .allowed())
                .isTrue();
        assertThat(engine.allowed(WEB, Endpoint.address("10.1.0.1"), Protocol.TCP, 443)
                        .allowed())
                .isFalse();
        assertThat(engine.allowed(WEB, Endpoint.address("2001:db8::1"), Protocol.TCP, 443)
                        .allowed())
                .isTrue();
        assertThat(engine.allowed(WEB, Endpoint.address("2001:db8:bad::1"), Protocol.TCP, 443)
                        .allowed())
                .isFalse();
        assertThat(engine.allowed(WEB, Endpoint.address("192.0.2.1"), Protocol.TCP, 443)
                        .allowed())
                .isFalse();
        // A range is allowed only where every address is: 10.0.0.0/8 contains the hole.
        assertThat(engine.connections(WEB, Endpoint.external(IpRange.cidr("10.0.0.0/8")))
                        .isEmpty())
                .isTrue();
        assertThat(engine.connections(WEB, Endpoint.external(IpRange.cidr("10.2.0.0/16"))))
                .isEqualTo(ConnectionSet.ALL);
        // ipBlocks never match pods: web may not reach db, whatever db's address.
        assertThat(engine.connections(WEB, DB).isEmpty()).isTrue();

        List<String> report =
                engine.connectivity().stream().map(Connection::toString).toList();
        assertThat(report)
                .contains(
                        "shop/web[Pod] => 10.0.0.0-10.0.255.255[External] : All Connections",
                        "shop/web[Pod] => 10.2.0.0-10.255.255.255[External] : All Connections",
                        "shop/web[Pod] => 2001:db8::-2001:db8:bac:ffff:ffff:ffff:ffff:ffff[External] : All Connections",
                        "shop/web[Pod] => 2001:db8:bae::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections")
                .noneMatch(line -> line.startsWith("shop/web[Pod] => 10.1.0.0"))
                .noneMatch(line -> line.startsWith("shop/web[Pod] => shop/db"));
    }

    @Test
    void aPodIpIsEvaluatedAsThePod() {
        ClusterState state = Clusters.state(Clusters.TOPOLOGY.replace(
                        "metadata: {name: db, namespace: shop, labels: {app: db, tier: backend}}",
                        "metadata: {name: db, namespace: shop, labels: {app: db, tier: backend}}\n"
                                + "status: {podIP: 10.244.0.7}")
                + """
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-egress, namespace: shop}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]
                """);
        NetpolEngine engine = NetpolEngine.index(state);
        assertThat(engine.allowed(WEB, Endpoint.address("10.244.0.7"), Protocol.TCP, 5432)
                        .allowed())
                .isTrue();
        assertThat(engine.allowed(WEB, Endpoint.address("10.244.0.8"), Protocol.TCP, 5432)
                        .allowed())
                .isFalse();
    }
}
