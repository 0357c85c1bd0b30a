package dev.stanch.action;

import dev.stanch.netpol.Direction;
import dev.stanch.netpol.Protocol;
import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times {@code block-connection}'s plan and verification — the intake's policy-engine work per
 * detection — on a cluster where Stanch has already blocked a flow of every pod: N running pods in
 * namespaces of 100 (Deployments of ten, owned through ReplicaSets), one Stanch block NetworkPolicy
 * per pod (on the pod's own label, as {@link BlockPolicies} makes them, each cutting a different
 * external address) and a handful of ordinary app policies per namespace. Each run plans a block of
 * {@code 203.0.113.7:443/TCP} egress for another pod (then verifies it against the cluster with the
 * plan's steps applied): warm-up, then median and p99.
 *
 * <p>A program, not a test: {@code ./mvnw -B -o -q -pl response-service test-compile exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.stanch.action.PlanBenchmark [-Dexec.args="1000
 * 5000"] [-DwarmUp=N -Druns=N]}.
 */
public final class PlanBenchmark {

    private static final String C2 = "203.0.113.7";
    private static final int PODS_PER_NAMESPACE = 100;
    private static final int PODS_PER_DEPLOYMENT = 10;

    private PlanBenchmark() {}

    public static void main(String[] args) {
        int[] sizes = args.length == 0
                ? new int[] {1000, 5000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int pods : sizes) {
            run(pods);
        }
    }

    private static void run(int podCount) {
        ClusterSnapshot cluster = cluster(podCount);
        ActionType type = ActionType.of(ActionKind.BLOCK_CONNECTION);
        int warmUp = Integer.getInteger("warmUp", podCount <= 1000 ? 40 : 15);
        int runs = Integer.getInteger("runs", podCount <= 1000 ? 150 : 50);
        long[] plans = new long[runs];
        long[] verifications = new long[runs];
        int lost = -1;
        for (int i = 0; i < warmUp + runs; i++) {
            int target = (i * 37) % podCount;
            String namespace = namespace(target / PODS_PER_NAMESPACE);
            String pod = podName(target);
            PlanInput input = BlockConnectionTest.block("bench-" + i, namespace + "/" + pod, "egress", C2, 443, "port");
            long start = System.nanoTime();
            Planning planning = type.plan(input, cluster);
            long planned = System.nanoTime() - start;
            if (!(planning instanceof Planning.Planned(ActionPlan plan))) {
                throw new IllegalStateException("not planned: " + planning);
            }
            ClusterSnapshot after = ClusterSimulator.apply(cluster, plan.steps());
            start = System.nanoTime();
            List<String> problems = type.verify(plan, after);
            long verified = System.nanoTime() - start;
            if (!problems.isEmpty()) {
                throw new IllegalStateException("verification failed: " + problems);
            }
            if (i >= warmUp) {
                plans[i - warmUp] = planned;
                verifications[i - warmUp] = verified;
                lost = plan.connectivityLost().size();
            }
        }
        System.out.printf(
                "%,d pods, %,d namespaces, %,d NetworkPolicies (%d runs after %d warm-up; %d connectivity lost)%n",
                podCount, cluster.namespaces().size(), cluster.networkPolicies().size(), runs, warmUp, lost);
        System.out.println("  plan:   " + figures(plans));
        System.out.println("  verify: " + figures(verifications));
    }

    private static String figures(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format(
                "median %.2f ms, p99 %.2f ms, best %.2f ms",
                sorted[sorted.length / 2] / 1e6,
                sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e6,
                sorted[0] / 1e6);
    }

    static String namespace(int index) {
        return "team-" + index;
    }

    static String podName(int index) {
        return "app-" + (index / PODS_PER_DEPLOYMENT % (PODS_PER_NAMESPACE / PODS_PER_DEPLOYMENT)) + "-pod-" + index;
    }

    /** The cluster of the benchmark, deterministic for a size. */
    static ClusterSnapshot cluster(int podCount) {
        List<Namespace> namespaces = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        int namespaceCount = (podCount + PODS_PER_NAMESPACE - 1) / PODS_PER_NAMESPACE;
        for (int n = 0; n < namespaceCount; n++) {
            String namespace = namespace(n);
            namespaces.add(BlockConnectionTest.namespace(namespace));
            policies.addAll(appPolicies(namespace));
        }
        for (int i = 0; i < podCount; i++) {
            String namespace = namespace(i / PODS_PER_NAMESPACE);
            String app = "app-" + (i / PODS_PER_DEPLOYMENT % (PODS_PER_NAMESPACE / PODS_PER_DEPLOYMENT));
            String actionId = "old-" + i;
            String uid = "uid-" + i;
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("app", app);
            labels.put("tier", i % 3 == 0 ? "frontend" : "backend");
            labels.put("pod-template-hash", "h" + (i / PODS_PER_DEPLOYMENT));
            labels.put(StanchLabels.blockLabel(actionId), "true");
            pods.add(new PodBuilder()
                    .withNewMetadata()
                    .withNamespace(namespace)
                    .withName(podName(i))
                    .withUid(uid)
                    .withLabels(labels)
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind("ReplicaSet")
                    .withName(app + "-h" + (i / PODS_PER_DEPLOYMENT))
                    .withUid("rs-" + (i / PODS_PER_DEPLOYMENT))
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("main")
                    .withImage("example/" + app)
                    .addNewPort()
                    .withName("http")
                    .withContainerPort(8080)
                    .withProtocol("TCP")
                    .endPort()
                    .endContainer()
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Running")
                    .withPodIP(address(i))
                    .addNewPodIP(address(i))
                    .endStatus()
                    .build());
            BlockedFlow flow =
                    new BlockedFlow("198.51." + (100 + i / 250 % 100) + "." + (i % 250 + 1), null, Protocol.TCP, 443);
            policies.add(BlockPolicies.policy(namespace, actionId, uid, Direction.EGRESS, flow, List.of(flow)));
        }
        return new ClusterSnapshot(
                ServerInfo.of(1, 30),
                namespaces,
                pods,
                policies,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
    }

    private static String address(int i) {
        return "10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
    }

    /** A default deny for ingress, and ingress allowed within each app and to frontends on http. */
    private static List<NetworkPolicy> appPolicies(String namespace) {
        List<NetworkPolicy> policies = new ArrayList<>();
        policies.add(new NetworkPolicyBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName("default-deny-ingress")
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .endPodSelector()
                .withPolicyTypes("Ingress")
                .endSpec()
                .build());
        for (int a = 0; a < PODS_PER_NAMESPACE / PODS_PER_DEPLOYMENT; a++) {
            String app = "app-" + a;
            policies.add(new NetworkPolicyBuilder()
                    .withNewMetadata()
                    .withNamespace(namespace)
                    .withName(app + "-ingress")
                    .endMetadata()
                    .withNewSpec()
                    .withPodSelector(new LabelSelectorBuilder()
                            .withMatchLabels(Map.of("app", app))
                            .build())
                    .addNewIngress()
                    .addNewFrom()
                    .withPodSelector(new LabelSelectorBuilder()
                            .withMatchLabels(Map.of("app", app))
                            .build())
                    .endFrom()
                    .addNewFrom()
                    .withPodSelector(new LabelSelectorBuilder()
                            .withMatchLabels(Map.of("tier", "frontend"))
                            .build())
                    .withNamespaceSelector(new LabelSelectorBuilder()
                            .addNewMatchExpression()
                            .withKey("kubernetes.io/metadata.name")
                            .withOperator("Exists")
                            .endMatchExpression()
                            .build())
                    .endFrom()
                    .addNewPort()
                    .withProtocol("TCP")
                    .withPort(new IntOrString("http"))
                    .endPort()
                    .endIngress()
                    .endSpec()
                    .build());
        }
        return policies;
    }
}
