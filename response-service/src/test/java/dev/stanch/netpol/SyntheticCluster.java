package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generated cluster for the benchmark (and a sanity test): namespaces of teams, Deployments whose
 * pods run (with owner references and pod IPs), and a mix of NetworkPolicies in every shape the
 * engine reads — default denies, selectors with expressions, named ports, endPort ranges, ipBlocks
 * with excepts — plus AdminNetworkPolicies, ClusterNetworkPolicies and a
 * BaselineAdminNetworkPolicy. Deterministic for a given seed.
 */
final class SyntheticCluster {

    private static final String[] TIERS = {"frontend", "backend", "db", "cache"};
    private static final String[] ENVS = {"prod", "staging", "dev"};

    private final int namespaces;
    private final int podsPerNamespace;
    private final int policies;
    private final Random random;

    /**
     * @param namespaces how many namespaces
     * @param podsPerNamespace pods in each, five per Deployment
     * @param policies policies in total: about 4% cluster-wide, the rest NetworkPolicies
     */
    SyntheticCluster(int namespaces, int podsPerNamespace, int policies, long seed) {
        this.namespaces = namespaces;
        this.podsPerNamespace = podsPerNamespace;
        this.policies = policies;
        this.random = new Random(seed);
    }

    /** The benchmark's size: 5,000 pods in 200 namespaces with 1,000 policies. */
    static SyntheticCluster standard() {
        return new SyntheticCluster(200, 25, 1000, 42);
    }

    static String namespace(int index) {
        return "team-" + index;
    }

    static String podName(int namespace, int pod) {
        return "app-" + pod / 5 + "-7f9c-" + pod % 5;
    }

    List<HasMetadata> objects() {
        List<HasMetadata> objects = new ArrayList<>();
        for (int n = 0; n < namespaces; n++) {
            objects.add(new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(namespace(n))
                    .addToLabels("team", "t" + n % 20)
                    .addToLabels("env", ENVS[n % ENVS.length])
                    .endMetadata()
                    .build());
            for (int p = 0; p < podsPerNamespace; p++) {
                objects.add(pod(n, p));
            }
        }
        int clusterWide = Math.max(1, policies / 25);
        for (int i = 0; i < policies - clusterWide; i++) {
            objects.add(networkPolicy(i));
        }
        for (int i = 0; i < clusterWide; i++) {
            objects.add(clusterWidePolicy(i, clusterWide));
        }
        return objects;
    }

    private Pod pod(int namespace, int pod) {
        int app = pod / 5;
        return new PodBuilder()
                .withNewMetadata()
                .withName(podName(namespace, pod))
                .withNamespace(namespace(namespace))
                .addToLabels("app", "app-" + app)
                .addToLabels("tier", TIERS[app % TIERS.length])
                .addToLabels("pod-template-hash", "7f9c")
                .addNewOwnerReference()
                .withApiVersion("apps/v1")
                .withKind("ReplicaSet")
                .withName("app-" + app + "-7f9c")
                .withUid("rs-" + namespace + "-" + app)
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("registry.example/app:1")
                .withPorts(
                        new ContainerPortBuilder()
                                .withName("http")
                                .withContainerPort(8080)
                                .build(),
                        new ContainerPortBuilder()
                                .withName("metrics")
                                .withContainerPort(9090)
                                .build(),
                        new ContainerPortBuilder()
                                .withName("dns")
                                .withContainerPort(53)
                                .withProtocol("UDP")
                                .build())
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPodIP("10.244." + namespace + "." + pod)
                .endStatus()
                .build();
    }

    private HasMetadata networkPolicy(int index) {
        int namespace = index % namespaces;
        String name = "np-" + index;
        NetworkPolicyBuilder builder = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace(namespace))
                .endMetadata();
        int apps = Math.max(1, podsPerNamespace / 5);
        LabelSelector subject = switch (index / namespaces % 5) {
            case 0 -> new LabelSelector();
            case 1 -> labels("app", "app-" + random.nextInt(apps));
            case 2 ->
                new LabelSelectorBuilder()
                        .addNewMatchExpression()
                        .withKey("tier")
                        .withOperator("In")
                        .withValues(TIERS[random.nextInt(4)], TIERS[random.nextInt(4)])
                        .endMatchExpression()
                        .build();
            case 3 -> labels("tier", TIERS[random.nextInt(4)]);
            default ->
                new LabelSelectorBuilder()
                        .addNewMatchExpression()
                        .withKey("app")
                        .withOperator("NotIn")
                        .withValues("app-0")
                        .endMatchExpression()
                        .build();
        };
        var spec = builder.withNewSpec().withPodSelector(subject);
        switch (index % 4) {
            case 0 -> spec.withPolicyTypes("Ingress"); // default deny for the selected pods
            case 1 ->
                spec.addNewIngress()
                        .withFrom(
                                podsPeer(labels("tier", TIERS[random.nextInt(4)])),
                                namespacesPeer(labels("team", "t" + random.nextInt(20))))
                        .withPorts(named("http"), numbered("TCP", 8000 + random.nextInt(100), null))
                        .endIngress();
            case 2 ->
                spec.addNewIngress()
                        .withFrom(new NetworkPolicyPeerBuilder()
                                .withNamespaceSelector(new LabelSelectorBuilder()
                                        .addNewMatchExpression()
                                        .withKey("env")
                                        .withOperator("NotIn")
                                        .withValues("dev")
                                        .endMatchExpression()
                                        .build())
                                .withPodSelector(labels("app", "app-" + random.nextInt(apps)))
                                .build())
                        .withPorts(numbered("TCP", 9000, 9100), named("metrics"))
                        .endIngress()
                        .withPolicyTypes("Ingress");
            default -> {
                int octet = random.nextInt(200);
                spec.withPolicyTypes("Egress")
                        .addNewEgress()
                        .addNewTo()
                        .withNewIpBlock()
                        .withCidr("0.0.0.0/0")
                        .withExcept("10.0.0.0/8", "192.168." + octet + ".0/24")
                        .endIpBlock()
                        .endTo()
                        .addNewTo()
                        .withNewIpBlock()
                        .withCidr("2001:db8::/32")
                        .withExcept("2001:db8:" + Integer.toHexString(octet) + "::/48")
                        .endIpBlock()
                        .endTo()
                        .endEgress()
                        .addNewEgress()
                        .withTo(namespacesPeer(new LabelSelector()))
                        .withPorts(numbered("UDP", 53, null), named("http"))
                        .endEgress();
            }
        }
        return spec.endSpec().build();
    }

    private HasMetadata clusterWidePolicy(int index, int count) {
        if (index == count - 1) {
            return generic(
                    "policy.networking.k8s.io/v1alpha1",
                    "BaselineAdminNetworkPolicy",
                    "default",
                    Map.of(
                            "subject", Map.of("namespaces", Map.of("matchLabels", Map.of("env", "prod"))),
                            "ingress",
                                    List.of(Map.of(
                                            "name", "deny-from-dev",
                                            "action", "Deny",
                                            "from",
                                                    List.of(Map.of(
                                                            "namespaces",
                                                            Map.of("matchLabels", Map.of("env", "dev"))))))));
        }
        Map<String, Object> subject = Map.of("namespaces", Map.of("matchLabels", Map.of("team", "t" + index % 20)));
        if (index % 4 == 3) {
            return generic(
                    "policy.networking.k8s.io/v1alpha2",
                    "ClusterNetworkPolicy",
                    "cnp-" + index,
                    Map.of(
                            "tier",
                            index % 8 == 3 ? "Admin" : "Baseline",
                            "priority",
                            100 + index,
                            "subject",
                            subject,
                            "egress",
                            List.of(
                                    Map.of(
                                            "name", "no-metadata",
                                            "action", "Deny",
                                            "to", List.of(Map.of("networks", List.of("169.254.169.254/32")))),
                                    Map.of(
                                            "name",
                                            "web",
                                            "action",
                                            "Accept",
                                            "to",
                                            List.of(Map.of("namespaces", Map.of())),
                                            "protocols",
                                            List.of(Map.of(
                                                    "tcp",
                                                    Map.of(
                                                            "destinationPort",
                                                            Map.of("range", Map.of("start", 8000, "end", 8999)))))))));
        }
        return generic(
                "policy.networking.k8s.io/v1alpha1",
                "AdminNetworkPolicy",
                "anp-" + index,
                Map.of(
                        "priority", index,
                        "subject", subject,
                        "ingress",
                                List.of(
                                        Map.of(
                                                "name",
                                                "monitoring",
                                                "action",
                                                "Allow",
                                                "from",
                                                List.of(Map.of(
                                                        "namespaces",
                                                        Map.of("matchLabels", Map.of("team", "t" + (index + 1) % 20)))),
                                                "ports",
                                                List.of(Map.of("namedPort", "metrics"))),
                                        Map.of(
                                                "name",
                                                "delegate",
                                                "action",
                                                "Pass",
                                                "from",
                                                List.of(Map.of("namespaces", Map.of())),
                                                "ports",
                                                List.of(Map.of(
                                                        "portRange",
                                                        Map.of("protocol", "TCP", "start", 1, "end", 1024)))))));
    }

    private static HasMetadata generic(String apiVersion, String kind, String name, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(apiVersion)
                .withKind(kind)
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties("spec", spec)
                .build();
    }

    private static LabelSelector labels(String key, String value) {
        return new LabelSelectorBuilder().addToMatchLabels(key, value).build();
    }

    private static NetworkPolicyPeer podsPeer(LabelSelector pods) {
        return new NetworkPolicyPeerBuilder().withPodSelector(pods).build();
    }

    private static NetworkPolicyPeer namespacesPeer(LabelSelector namespaces) {
        return new NetworkPolicyPeerBuilder().withNamespaceSelector(namespaces).build();
    }

    private static NetworkPolicyPort named(String name) {
        return new NetworkPolicyPortBuilder().withPort(new IntOrString(name)).build();
    }

    private static NetworkPolicyPort numbered(String protocol, int port, Integer endPort) {
        return new NetworkPolicyPortBuilder()
                .withProtocol(protocol)
                .withPort(new IntOrString(port))
                .withEndPort(endPort)
                .build();
    }
}
