package dev.stanch.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/** Objects the ApiServerIT tests put into the real cluster before acting on it. */
public final class ClusterFixtures {

    private ClusterFixtures() {}

    /**
     * A pod that looks running with this address: no kubelet runs here, so the status is written
     * through the status subresource, as a kubelet would.
     */
    public static Pod runningPod(
            KubernetesClient admin, String namespace, String name, String ip, Map<String, String> labels) {
        Pod pod = admin.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withLabels(labels)
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/" + name)
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        return admin.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder(pod)
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP(ip)
                        .addNewPodIP(ip)
                        .endStatus()
                        .build())
                .updateStatus();
    }

    /** A policy that allows the web pods' egress to the C2 range: a NetworkPolicy block cannot win. */
    public static void webEgressToC2(KubernetesClient admin, String namespace) {
        admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .resource(new NetworkPolicyBuilder()
                        .withNewMetadata()
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
                        .withCidr("203.0.113.0/24")
                        .endIpBlock()
                        .endTo()
                        .endEgress()
                        .endSpec()
                        .build())
                .create();
    }
}
