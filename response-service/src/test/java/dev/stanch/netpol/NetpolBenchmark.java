package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Prints how fast the engine is; never asserts. Run it with
 *
 * <pre>
 * ./mvnw -B -q -pl response-service test-compile exec:java -Dexec.mainClass=dev.stanch.netpol.NetpolBenchmark
 * </pre>
 *
 * <p>It measures (1) the largest np-guard corpus cases end to end — read the manifests, build the
 * view, index it, compute the connectivity report — and (2) a synthetic cluster of 5,000 pods in
 * 200 namespaces with 1,000 policies: build and index time, then the latency of single {@code
 * allowed} queries (p50/p99), of {@code connections} and of a blast-radius {@code diff}.
 */
public final class NetpolBenchmark {

    private static final String[] LARGEST_CASES = {
        "ipblockstest",
        "ipblockstest_3",
        "core_pods_without_host_ip",
        "with_end_port_example",
        "onlineboutique_workloads"
    };

    private NetpolBenchmark() {}

    public static void main(String[] args) throws IOException {
        Runtime runtime = Runtime.getRuntime();
        System.out.printf(
                Locale.ROOT,
                "machine: %d cores, JVM %s (%s), max heap %d MiB%n%n",
                runtime.availableProcessors(),
                System.getProperty("java.vm.version"),
                System.getProperty("java.vm.name"),
                runtime.maxMemory() / (1024 * 1024));
        corpus(corpusRoot(args));
        synthetic();
    }

    // ------------------------------------------------------------------ the corpus

    private static void corpus(Path root) throws IOException {
        System.out.println("np-guard corpus, end to end (read + build + index + report):");
        System.out.println("  case                                pods  nodes  lines   median    best");
        for (String name : LARGEST_CASES) {
            Path input = root.resolve(name).resolve("input");
            int lines = 0;
            int nodes = 0;
            int pods = 0;
            long[] times = new long[25];
            for (int run = -10; run < times.length; run++) {
                long start = System.nanoTime();
                ClusterState state = ClusterState.of(ManifestReader.read(input).objects());
                NetpolEngine engine = NetpolEngine.index(state);
                lines = engine.connectivity().size();
                long elapsed = System.nanoTime() - start;
                if (run >= 0) {
                    times[run] = elapsed;
                }
                nodes = engine.nodes().size();
                pods = state.pods().size();
            }
            Arrays.sort(times);
            System.out.printf(
                    Locale.ROOT,
                    "  %-34s %5d  %5d  %5d  %6.1f ms %5.1f ms%n",
                    name,
                    pods,
                    nodes,
                    lines,
                    millis(times[times.length / 2]),
                    millis(times[0]));
        }
        // The report alone, without reading files, for the largest case.
        NetpolEngine engine = NetpolEngine.index(ClusterState.of(
                ManifestReader.read(root.resolve("ipblockstest/input")).objects()));
        long[] times = new long[50];
        for (int run = -20; run < times.length; run++) {
            long start = System.nanoTime();
            engine.connectivity();
            if (run >= 0) {
                times[run] = System.nanoTime() - start;
            }
        }
        Arrays.sort(times);
        System.out.printf(
                Locale.ROOT,
                "  ipblockstest report only (already indexed): median %.1f ms%n%n",
                millis(times[times.length / 2]));
    }

    private static Path corpusRoot(String[] args) {
        String configured = args.length > 0 ? args[0] : System.getProperty("stanch.corpus");
        List<Path> candidates = new ArrayList<>();
        if (configured != null) {
            candidates.add(Path.of(configured));
        }
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        candidates.add(here.resolveSibling("shared").resolve("corpus"));
        candidates.add(here.getParent().resolveSibling("shared").resolve("corpus"));
        for (Path candidate : candidates) {
            Path root = candidate.resolve("netpol-analyzer");
            if (Files.isDirectory(root)) {
                return root;
            }
        }
        throw new IllegalStateException(
                "cannot find the shared corpus; pass its path (the directory holding netpol-analyzer/)");
    }

    // ------------------------------------------------------------- synthetic cluster

    private static void synthetic() {
        SyntheticCluster generator = SyntheticCluster.standard();
        List<HasMetadata> objects = generator.objects();
        long[] builds = new long[7];
        long[] indexes = new long[7];
        NetpolEngine engine = null;
        ClusterState state = null;
        for (int run = -3; run < builds.length; run++) {
            long start = System.nanoTime();
            state = ClusterState.of(objects);
            long built = System.nanoTime();
            engine = NetpolEngine.index(state);
            long indexed = System.nanoTime();
            if (run >= 0) {
                builds[run] = built - start;
                indexes[run] = indexed - built;
            }
        }
        Arrays.sort(builds);
        Arrays.sort(indexes);
        System.out.printf(
                Locale.ROOT,
                "synthetic cluster: %d pods, %d namespaces, %d NetworkPolicies + %d cluster-wide policies,"
                        + " %d warnings%n",
                state.pods().size(),
                state.namespaces().size(),
                state.networkPolicies().size(),
                state.adminPolicies().size(),
                state.warnings().size());
        System.out.printf(
                Locale.ROOT,
                "  build ClusterState from fabric8 objects: median %.0f ms; index: median %.0f ms%n",
                millis(builds[builds.length / 2]),
                millis(indexes[indexes.length / 2]));

        Random random = new Random(7);
        int queries = 200_000;
        Endpoint[] sources = new Endpoint[queries];
        Endpoint[] destinations = new Endpoint[queries];
        Protocol[] protocols = new Protocol[queries];
        int[] ports = new int[queries];
        int[] commonPorts = {53, 80, 443, 5432, 8080, 8050, 9090, 9095, 50051};
        for (int i = 0; i < queries; i++) {
            sources[i] = randomPod(random);
            destinations[i] = i % 10 == 0
                    ? Endpoint.address("192.168." + random.nextInt(256) + "." + random.nextInt(256))
                    : randomPod(random);
            protocols[i] = i % 7 == 0 ? Protocol.UDP : Protocol.TCP;
            ports[i] = commonPorts[random.nextInt(commonPorts.length)];
        }
        // Warm up the JIT on a separate pass, then time every query of a second pass.
        int allowed = 0;
        for (int i = 0; i < queries; i++) {
            allowed += engine.allowed(sources[i], destinations[i], protocols[i], ports[i])
                            .allowed()
                    ? 1
                    : 0;
        }
        long[] latencies = new long[queries];
        for (int i = 0; i < queries; i++) {
            long start = System.nanoTime();
            engine.allowed(sources[i], destinations[i], protocols[i], ports[i]);
            latencies[i] = System.nanoTime() - start;
        }
        report("allowed()", latencies);
        System.out.printf(Locale.ROOT, "    (%.0f%% of the sampled queries allowed)%n", 100.0 * allowed / queries);

        int setQueries = 20_000;
        long[] setLatencies = new long[setQueries];
        for (int i = 0; i < setQueries; i++) {
            engine.connections(sources[i], destinations[i]);
        }
        for (int i = 0; i < setQueries; i++) {
            long start = System.nanoTime();
            engine.connections(sources[i], destinations[i]);
            setLatencies[i] = System.nanoTime() - start;
        }
        report("connections()", setLatencies);

        blastRadius(state, engine);
    }

    /** Quarantine one pod, as the planner would, and time the "after" index and the diff. */
    private static void blastRadius(ClusterState before, NetpolEngine beforeEngine) {
        String namespace = SyntheticCluster.namespace(17);
        String name = SyntheticCluster.podName(17, 3);
        Pod pod = (Pod) before.objects().stream()
                .filter(object -> object instanceof Pod
                        && object.getMetadata().getName().equals(name)
                        && object.getMetadata().getNamespace().equals(namespace))
                .findFirst()
                .orElseThrow();
        HasMetadata labelled = pod.edit()
                .editMetadata()
                .addToLabels("stanch.dev/quarantine", "bench")
                .endMetadata()
                .build();
        HasMetadata policy = new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("stanch-bench")
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .addToMatchLabels("stanch.dev/quarantine", "bench")
                .endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .endSpec()
                .build();
        long[] afterIndex = new long[5];
        long[] diffs = new long[5];
        ConnectivityDiff diff = null;
        for (int run = -2; run < diffs.length; run++) {
            long start = System.nanoTime();
            NetpolEngine after = NetpolEngine.index(
                    before.toBuilder().add(labelled).add(policy).build());
            long indexed = System.nanoTime();
            diff = NetpolEngine.diff(beforeEngine, after, Endpoint.pod(namespace, name));
            long done = System.nanoTime();
            if (run >= 0) {
                afterIndex[run] = indexed - start;
                diffs[run] = done - indexed;
            }
        }
        Arrays.sort(afterIndex);
        Arrays.sort(diffs);
        System.out.printf(
                Locale.ROOT,
                "  quarantine one pod: build+index the after view %.0f ms, diff %.0f ms (%d changes)%n",
                millis(afterIndex[afterIndex.length / 2]),
                millis(diffs[diffs.length / 2]),
                diff.changes().size());
    }

    private static Endpoint randomPod(Random random) {
        int namespace = random.nextInt(200);
        return Endpoint.pod(
                SyntheticCluster.namespace(namespace), SyntheticCluster.podName(namespace, random.nextInt(25)));
    }

    private static void report(String what, long[] latencies) {
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        System.out.printf(
                Locale.ROOT,
                "  %s over %d queries: p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs%n",
                what,
                sorted.length,
                sorted[sorted.length / 2] / 1000.0,
                sorted[(int) (sorted.length * 0.99)] / 1000.0,
                sorted[(int) (sorted.length * 0.999)] / 1000.0,
                sorted[sorted.length - 1] / 1000.0);
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
