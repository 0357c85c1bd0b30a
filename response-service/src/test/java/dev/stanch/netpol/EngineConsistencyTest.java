package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The engine answers single queries ({@code allowed}) and whole sets ({@code connections}) by two
 * code paths, one tracking explanations, the other port sets. They must agree everywhere: this
 * checks every node pair of every corpus case and of a scenario using every tier.
 */
class EngineConsistencyTest {

    private static final int[] PORTS = {1, 22, 53, 80, 81, 90, 443, 5000, 5432, 8050, 8080, 9090, 65535};
    private static final List<String> ADDRESSES = List.of(
            "0.0.0.0",
            "8.8.8.8",
            "10.0.0.1",
            "10.10.1.1",
            "172.21.3.4",
            "172.30.0.1",
            "203.0.113.7",
            "255.255.255.255");

    private static final String EVERY_TIER = Clusters.TOPOLOGY + """
          ---
          apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: db, namespace: shop}
          spec:
            podSelector: {matchLabels: {app: db}}
            policyTypes: [Ingress, Egress]
            ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: pg}, {port: 5000, endPort: 5100}]}]
            egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.10.0.0/16]}}], ports: [{port: 443}]}]
          ---
          apiVersion: policy.networking.k8s.io/v1alpha1
          kind: AdminNetworkPolicy
          metadata: {name: admin}
          spec:
            priority: 1
            subject: {namespaces: {matchLabels: {env: prod}}}
            ingress:
            - {action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}], ports: [{portRange: {start: 1, end: 1000}}]}
            - {action: Pass, from: [{namespaces: {}}], ports: [{portNumber: {port: 5432, protocol: TCP}}]}
            - {action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
            egress:
            - {action: Allow, to: [{networks: [8.8.8.8/32]}], ports: [{portNumber: {port: 53, protocol: UDP}}]}
          ---
          apiVersion: policy.networking.k8s.io/v1alpha2
          kind: ClusterNetworkPolicy
          metadata: {name: baseline}
          spec:
            tier: Baseline
            priority: 5
            subject: {namespaces: {}}
            ingress:
            - {action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
            - {action: Deny, from: [{namespaces: {}}]}
          ---
          apiVersion: cilium.io/v2
          kind: CiliumNetworkPolicy
          metadata: {name: deny, namespace: shop}
          spec:
            endpointSelector: {matchLabels: {app: db}}
            enableDefaultDeny: {egress: false, ingress: false}
            egressDeny:
            - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.10.0.0/16]}]
              toPorts: [{ports: [{port: "400", endPort: 500, protocol: TCP}]}]
            ingressDeny:
            - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: a}}]
              toPorts: [{ports: [{port: pg}, {port: "53", protocol: UDP}]}]
          ---
          apiVersion: cilium.io/v2
          kind: CiliumClusterwideNetworkPolicy
          metadata: {name: deny}
          spec:
            endpointSelector: {matchLabels: {app: web}}
            enableDefaultDeny: {egress: false, ingress: false}
            egressDeny: [{toEntities: [world], toPorts: [{ports: [{port: "53"}]}]}]
            ingressDeny: [{fromEntities: [cluster], toPorts: [{ports: [{port: "81"}, {port: http}]}]}]
          """;

    @TestFactory
    Stream<DynamicTest> pointAndSetEvaluationAgree() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("every tier", () -> check(NetpolEngine.index(Clusters.state(EVERY_TIER)))));
        tests.add(DynamicTest.dynamicTest("synthetic cluster (benchmark generator, scaled down)", () -> {
            ClusterState state = ClusterState.of(new SyntheticCluster(12, 10, 80, 1).objects());
            assertThat(state.warnings()).isEmpty();
            assertThat(state.adminPolicies()).isNotEmpty();
            check(NetpolEngine.index(state));
        }));
        for (NetpolCorpus.Case corpusCase : NetpolCorpus.cases()) {
            tests.add(DynamicTest.dynamicTest(corpusCase.name(), () -> check(NetpolEngine.index(read(corpusCase)))));
        }
        return tests.stream();
    }

    private static ClusterState read(NetpolCorpus.Case corpusCase) throws IOException {
        return ClusterState.of(ManifestReader.read(corpusCase.input()).objects());
    }

    private static void check(NetpolEngine engine) {
        List<Endpoint> endpoints = new ArrayList<>(engine.nodes());
        ADDRESSES.forEach(address -> endpoints.add(Endpoint.address(address)));
        for (Endpoint source : endpoints) {
            for (Endpoint destination : endpoints) {
                if (source instanceof Endpoint.External && destination instanceof Endpoint.External) {
                    continue;
                }
                ConnectionSet connections = engine.connections(source, destination);
                for (Protocol protocol : Protocol.values()) {
                    for (int port : PORTS) {
                        Verdict verdict = engine.allowed(source, destination, protocol, port);
                        assertThat(verdict.allowed())
                                .as(
                                        "%s => %s %s %d: %s vs %s",
                                        source, destination, protocol, port, verdict.explain(), connections)
                                .isEqualTo(connections.contains(protocol, port));
                    }
                }
            }
        }
    }
}
