package dev.stanch.netpol;

import static dev.stanch.netpol.Clusters.CLIENT;
import static dev.stanch.netpol.Clusters.DB;
import static dev.stanch.netpol.Clusters.PROM;
import static dev.stanch.netpol.Clusters.WEB;
import static dev.stanch.netpol.Clusters.withPolicies;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2,
 * v1beta1): tiers admin > NetworkPolicy > baseline, first match wins within a tier.
 */
class AdminTierSemanticsTest {

    private static final String NP_ALLOWS_WEB_TO_DB = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: db-from-web, namespace: shop}
      spec:
        podSelector: {matchLabels: {app: db}}
        ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
      ---
      """;

    @Test
    void anAdminDenyOverridesANetworkPolicyAllow() {
        NetpolEngine engine = withPolicies(NP_ALLOWS_WEB_TO_DB + """
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: AdminNetworkPolicy
                metadata: {name: protect-db}
                spec:
                  priority: 10
                  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
                  ingress:
                  - {name: no-one, action: Deny, from: [{namespaces: {}}]}
                """);
        Verdict verdict = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.ingress().tier()).isEqualTo(Tier.ADMIN);
        assertThat(verdict.ingress().rules().getFirst())
                .hasToString("AdminNetworkPolicy protect-db ingress rule #1 \"no-one\"");
        // namespaces peers are pods only: the outside world still reaches db (db is isolated by the
        // NetworkPolicy, though, which admits web only).
        assertThat(engine.connections(Endpoint.address("203.0.113.1"), DB).isEmpty())
                .isTrue();
    }

    @Test
    void anAdminAllowOverridesNetworkPolicyIsolation() {
        NetpolEngine engine = withPolicies(NP_ALLOWS_WEB_TO_DB + """
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: AdminNetworkPolicy
                metadata: {name: monitoring-everywhere}
                spec:
                  priority: 5
                  subject: {namespaces: {}}
                  ingress:
                  - name: scrape
                    action: Allow
                    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
                    ports: [{portNumber: {port: 9090, protocol: TCP}}, {namedPort: pg}]
                """);
        Verdict verdict = engine.allowed(PROM, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.ingress().tier()).isEqualTo(Tier.ADMIN);
        assertThat(engine.connections(PROM, DB)).hasToString("TCP 5432,9090");
        assertThat(engine.connections(CLIENT, DB).isEmpty()).isTrue();
    }

    @Test
    void passHandsTheDecisionToNetworkPoliciesAndThenTheBaseline() {
        String admin = """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: delegate}
        spec:
          priority: 1
          subject: {namespaces: {matchLabels: {env: prod}}}
          ingress:
          - {name: tenants-decide, action: Pass, from: [{namespaces: {}}]}
          - {name: never-reached, action: Allow, from: [{namespaces: {}}]}
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {namespaces: {matchLabels: {env: prod}}}
          ingress:
          - {name: default-deny, action: Deny, from: [{namespaces: {}}]}
        """;
        // A NetworkPolicy selects db: it decides what was passed.
        NetpolEngine withNetworkPolicy = withPolicies(NP_ALLOWS_WEB_TO_DB + admin);
        Verdict toDb = withNetworkPolicy.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(toDb.allowed()).isTrue();
        assertThat(toDb.ingress().tier()).isEqualTo(Tier.NETWORK_POLICY);
        assertThat(toDb.ingress().passedBy()).extracting(RuleRef::name).containsExactly("tenants-decide");
        assertThat(withNetworkPolicy
                        .allowed(WEB, DB, Protocol.TCP, 22)
                        .ingress()
                        .tier())
                .isEqualTo(Tier.NETWORK_POLICY);
        // No NetworkPolicy selects web: the baseline decides.
        Verdict toWeb = withNetworkPolicy.allowed(DB, WEB, Protocol.TCP, 8080);
        assertThat(toWeb.allowed()).isFalse();
        assertThat(toWeb.ingress().tier()).isEqualTo(Tier.BASELINE);
        assertThat(toWeb.ingress().passedBy()).hasSize(1);
        assertThat(toWeb.explain()).contains("BaselineAdminNetworkPolicy default ingress rule #1");
        assertThat(withNetworkPolicy.connections(WEB, DB)).hasToString("TCP 5432");
    }

    @Test
    void networkPoliciesOverrideTheBaseline() {
        NetpolEngine engine = withPolicies(NP_ALLOWS_WEB_TO_DB + """
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: BaselineAdminNetworkPolicy
                metadata: {name: default}
                spec:
                  subject: {namespaces: {}}
                  ingress: [{action: Deny, from: [{namespaces: {}}]}]
                """);
        assertThat(engine.allowed(WEB, DB, Protocol.TCP, 5432).allowed()).isTrue();
        assertThat(engine.allowed(DB, WEB, Protocol.TCP, 8080).ingress().tier()).isEqualTo(Tier.BASELINE);
        // External sources are not namespaces: the baseline rule does not match them.
        assertThat(engine.allowed(Endpoint.address("192.0.2.1"), WEB, Protocol.TCP, 80)
                        .allowed())
                .isTrue();
    }

    @Test
    void lowerPriorityNumbersGoFirst() {
        String template = """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: allow}
        spec:
          priority: %d
          subject: {namespaces: {}}
          egress: [{action: Allow, to: [{namespaces: {}}]}]
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: deny}
        spec:
          priority: %d
          subject: {namespaces: {}}
          egress: [{action: Deny, to: [{namespaces: {}}]}]
        """;
        NetpolEngine allowFirst = withPolicies(template.formatted(10, 20));
        assertThat(allowFirst.allowed(WEB, DB, Protocol.TCP, 1).allowed()).isTrue();
        NetpolEngine denyFirst = withPolicies(template.formatted(20, 10));
        Verdict verdict = denyFirst.allowed(WEB, DB, Protocol.TCP, 1);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.egress().rules().getFirst().policy().name()).isEqualTo("deny");
    }

    @Test
    void theFirstMatchingRuleOfAPolicyWins() {
        NetpolEngine engine = withPolicies("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: ordered}
            spec:
              priority: 3
              subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
              ingress:
              - action: Deny
                from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]
                ports: [{portRange: {start: 5000, end: 5999}}]
              - action: Allow
                from: [{namespaces: {}}]
            """);
        assertThat(engine.connections(WEB, DB)).hasToString("SCTP 1-65535,TCP 1-4999,6000-65535,UDP 1-65535");
        assertThat(engine.allowed(WEB, DB, Protocol.TCP, 5432)
                        .ingress()
                        .rules()
                        .getFirst()
                        .index())
                .isEqualTo(1);
        assertThat(engine.allowed(WEB, DB, Protocol.UDP, 5432)
                        .ingress()
                        .rules()
                        .getFirst()
                        .index())
                .isEqualTo(2);
    }

    @Test
    void networksPeersMatchExternalAddressesOnly() {
        NetpolEngine engine = withPolicies("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: no-internet}
            spec:
              priority: 50
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
              egress:
              - {name: dns, action: Allow, to: [{networks: [8.8.8.8/32]}], ports: [{portNumber: {port: 53, protocol: UDP}}]}
              - {name: rest, action: Deny, to: [{networks: [0.0.0.0/0, "::/0"]}]}
            """);
        assertThat(engine.connections(WEB, Endpoint.address("8.8.8.8"))).hasToString("UDP 53");
        assertThat(engine.allowed(WEB, Endpoint.address("1.1.1.1"), Protocol.TCP, 443)
                        .egress()
                        .tier())
                .isEqualTo(Tier.ADMIN);
        assertThat(engine.allowed(WEB, Endpoint.address("2001:db8::1"), Protocol.TCP, 443)
                        .allowed())
                .isFalse();
        assertThat(engine.connections(WEB, DB)).isEqualTo(ConnectionSet.ALL);
        assertThat(engine.connections(CLIENT, Endpoint.address("1.1.1.1"))).isEqualTo(ConnectionSet.ALL);
    }

    @Test
    void unknownPeersFailClosed() {
        ClusterState state = ClusterState.of(
                ManifestReader.read("test.yaml", Clusters.TOPOLOGY + """
                        ---
                        apiVersion: policy.networking.k8s.io/v1alpha1
                        kind: AdminNetworkPolicy
                        metadata: {name: future}
                        spec:
                          priority: 1
                          subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
                          ingress:
                          - {name: allow-new, action: Allow, from: [{serviceAccounts: {name: x}}]}
                          - {name: pass-new, action: Pass, from: [{serviceAccounts: {name: y}}]}
                        """).objects());
        assertThat(state.warnings())
                .anyMatch(warning -> warning.contains("ignoring that part (fail closed)"))
                .anyMatch(warning -> warning.contains("treating the rule as deny-all (fail closed)"));
        NetpolEngine engine = NetpolEngine.index(state);
        Verdict verdict = engine.allowed(WEB, DB, Protocol.TCP, 5432);
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.ingress().rules().getFirst().name()).isEqualTo("pass-new");
        assertThat(engine.connections(Endpoint.address("192.0.2.1"), DB).isEmpty())
                .isTrue();
    }

    @Test
    void aPortEntryWithTwoFieldsIsRejectedAsTheApiServerWould() {
        ManifestReader.Manifests read = ManifestReader.read("two.yaml", """
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: two}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from: [{namespaces: {}}]
                protocols: [{tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 80}}}]
            """);
        assertThat(read.objects()).isEmpty();
        assertThat(read.warnings())
                .containsExactly("two.yaml: document 1 (ClusterNetworkPolicy two): spec.ingress[0].protocols[0]: set"
                        + " exactly one of tcp, udp; skipped");
    }

    @Test
    void clusterNetworkPoliciesInBothTiers() {
        NetpolEngine engine = withPolicies(NP_ALLOWS_WEB_TO_DB + """
                apiVersion: policy.networking.k8s.io/v1alpha2
                kind: ClusterNetworkPolicy
                metadata: {name: admin-accept}
                spec:
                  tier: Admin
                  priority: 10
                  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
                  ingress:
                  - name: monitoring
                    action: Accept
                    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
                    protocols:
                    - tcp: {destinationPort: {range: {start: 9000, end: 9100}}}
                    - destinationNamedPort: pg
                  - {name: others-decide, action: Pass, from: [{namespaces: {}}]}
                ---
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: baseline-deny}
                spec:
                  tier: Baseline
                  priority: 100
                  subject: {namespaces: {}}
                  ingress:
                  - name: dns-only
                    action: Accept
                    from: [{namespaces: {}}]
                    protocols: [{udp: {destinationPort: {number: 53}}}]
                  - {name: deny, action: Deny, from: [{namespaces: {}}]}
                """);
        // Admin tier: monitoring reaches shop on 9000-9100 and on db's named port pg.
        assertThat(engine.connections(PROM, DB)).hasToString("TCP 5432,9000-9100");
        assertThat(engine.allowed(PROM, DB, Protocol.TCP, 5432).ingress().tier())
                .isEqualTo(Tier.ADMIN);
        // Passed to the NetworkPolicy tier, which selects db and admits web on 5432.
        assertThat(engine.connections(WEB, DB)).hasToString("TCP 5432");
        // web is not selected by a NetworkPolicy: the baseline allows DNS and denies the rest.
        assertThat(engine.connections(DB, WEB)).hasToString("UDP 53");
        assertThat(engine.connections(CLIENT, PROM)).hasToString("UDP 53");
        assertThat(engine.allowed(CLIENT, PROM, Protocol.TCP, 80)
                        .ingress()
                        .rules()
                        .getFirst())
                .hasToString("ClusterNetworkPolicy baseline-deny ingress rule #2 \"deny\"");
    }
}
