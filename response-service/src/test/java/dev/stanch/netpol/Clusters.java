package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

/** Builds engines from inline manifests for the semantics tests. */
final class Clusters {

    /**
     * Two application pods in {@code shop}, a client in {@code other}, a monitoring pod in {@code
     * monitoring}. web declares the named ports http (TCP 8080) and metrics (TCP 9090); db declares
     * pg (TCP 5432) and dns (UDP 53).
     */
    static final String TOPOLOGY = """
      apiVersion: v1
      kind: Namespace
      metadata: {name: shop, labels: {env: prod}}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: other, labels: {env: dev, team: a}}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: monitoring}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: web, namespace: shop, labels: {app: web, tier: frontend}}
      spec:
        containers:
        - name: web
          image: web
          ports:
          - {name: http, containerPort: 8080}
          - {name: metrics, containerPort: 9090, protocol: TCP}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: db, namespace: shop, labels: {app: db, tier: backend}}
      spec:
        containers:
        - name: db
          image: db
          ports:
          - {name: pg, containerPort: 5432}
          - {name: dns, containerPort: 53, protocol: UDP}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: client, namespace: other, labels: {role: client}}
      spec: {containers: [{name: c, image: c}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: prom, namespace: monitoring, labels: {app: prometheus}}
      spec: {containers: [{name: p, image: p}]}
      """;

    static final Endpoint WEB = Endpoint.pod("shop", "web");
    static final Endpoint DB = Endpoint.pod("shop", "db");
    static final Endpoint CLIENT = Endpoint.pod("other", "client");
    static final Endpoint PROM = Endpoint.pod("monitoring", "prom");

    private Clusters() {}

    /** The topology plus these policy documents; fails on any warning. */
    static NetpolEngine withPolicies(String policies) {
        ClusterState state = state(TOPOLOGY + "---\n" + policies);
        assertThat(state.warnings()).as("warnings").isEmpty();
        return NetpolEngine.index(state);
    }

    /** Manifests into a state; fails when the reader had to skip something. */
    static ClusterState state(String manifests) {
        ManifestReader.Manifests read = ManifestReader.read("test.yaml", manifests);
        assertThat(read.warnings()).as("reader warnings").isEmpty();
        return ClusterState.of(read.objects());
    }
}
