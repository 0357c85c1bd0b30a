package dev.stanch.bench;

import dev.stanch.kubernetes.KubeApiServer;
import dev.stanch.kubernetes.KubeBinaries;
import dev.stanch.kubernetes.Kubeconfigs;
import dev.stanch.kubernetes.StanchIdentity;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The benchmark's Kubernetes: the real kube-apiserver (with etcd and the controller-manager) that
 * the sandbox and the integration tests run, its pods, and what its audit log says Stanch asked of
 * it — the time each NetworkPolicy was acknowledged, and how many requests Stanch made each second.
 */
final class BenchCluster implements AutoCloseable {

    /** Pods per namespace: namespaces of a realistic size, so that namespaced reads are not the whole cluster. */
    private static final int PODS_PER_NAMESPACE = 100;

    private final KubeApiServer kube;
    private final KubernetesClient stanch;
    private final Path kubeconfig;
    private final AuditTail audit;
    private final AtomicLong namespaces = new AtomicLong();

    private BenchCluster(KubeApiServer kube, KubernetesClient stanch, Path kubeconfig) {
        this.kube = kube;
        this.stanch = stanch;
        this.kubeconfig = kubeconfig;
        this.audit = new AuditTail(kube.auditLog());
    }

    static BenchCluster start(Path workDir) {
        KubeBinaries binaries = KubeBinaries.located();
        if (!binaries.missing().isEmpty()) {
            throw new IllegalStateException("the benchmark runs on the real kube-apiserver, which is not built here: "
                    + binaries.missing() + " missing in " + binaries.versionDir()
                    + "; run .ci/kube-binaries once (about 7 minutes)");
        }
        KubeApiServer kube = KubeApiServer.start(binaries, workDir);
        KubernetesClient stanch = StanchIdentity.of(kube).client();
        Path kubeconfig = Kubeconfigs.write(workDir.resolve("stanch.kubeconfig"), stanch.getConfiguration());
        return new BenchCluster(kube, stanch, kubeconfig);
    }

    /** What Stanch is given: a service account's token, bound to the chart's ClusterRole only. */
    Path kubeconfig() {
        return kubeconfig;
    }

    /** A client allowed what Stanch's account is allowed: the chart's ClusterRole. */
    KubernetesClient stanch() {
        return stanch;
    }

    KubernetesClient admin() {
        return kube.admin();
    }

    AuditTail audit() {
        return audit;
    }

    /** A pod the benchmark sends detections about. */
    record Target(String namespace, String pod, String ip) {}

    /**
     * {@code count} running pods (status written as a kubelet would: no kubelet runs here), in new
     * namespaces of {@value #PODS_PER_NAMESPACE}, each with its own address in 10.128.0.0/9.
     */
    List<Target> pods(String prefix, int count) throws Exception {
        List<Target> targets = new ArrayList<>();
        for (int first = 0; first < count; first += PODS_PER_NAMESPACE) {
            String namespace = kube.createNamespace("bench-" + prefix);
            namespaces.incrementAndGet();
            for (int i = first; i < Math.min(count, first + PODS_PER_NAMESPACE); i++) {
                long n = ADDRESSES.getAndIncrement();
                String ip = "10." + (128 + (n >> 16)) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
                targets.add(new Target(namespace, prefix + "-" + i, ip));
            }
        }
        // The default service account must exist before pods may be created in a namespace.
        targets.stream().map(Target::namespace).distinct().forEach(ns -> kube.awaitServiceAccount(ns, "default"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Pod>> created = new ArrayList<>();
            for (Target target : targets) {
                created.add(pool.submit(() -> running(target)));
            }
            for (Future<Pod> pod : created) {
                pod.get();
            }
        } finally {
            pool.shutdown();
        }
        return targets;
    }

    private static final AtomicLong ADDRESSES = new AtomicLong(1);

    private Pod running(Target target) {
        KubernetesClient admin = kube.admin();
        Pod pod = admin.pods()
                .inNamespace(target.namespace())
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(target.pod())
                        .withLabels(Map.of("app", "bench", "pod", target.pod()))
                        .endMetadata()
                        .withNewSpec()
                        .withAutomountServiceAccountToken(false)
                        .addNewContainer()
                        .withName("app")
                        .withImage("registry.example/app:1.0")
                        .addNewPort()
                        .withContainerPort(8080)
                        .endPort()
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        return admin.pods()
                .inNamespace(target.namespace())
                .resource(new PodBuilder(pod)
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP(target.ip())
                        .addNewPodIP(target.ip())
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .endStatus()
                        .build())
                .updateStatus();
    }

    /** The sum of {@code apiserver_request_total} over every verb, resource and code: all requests served. */
    long requestsServed() {
        String metrics = kube.admin().raw("/metrics");
        long total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("apiserver_request_total{")) {
                total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    @Override
    public void close() {
        audit.close();
        kube.close();
    }

    /**
     * Follows the API server's audit log (Stanch's own requests, one JSON event a line) as it grows:
     * when each NetworkPolicy was created — the {@code stageTimestamp} of its completed create, the
     * server's acknowledgement — and how many requests Stanch's account made each second.
     */
    static final class AuditTail implements AutoCloseable {

        private final JsonMapper json = JsonMapper.builder().build();
        private final Map<String, Instant> policiesCreated = new ConcurrentHashMap<>();
        private final ConcurrentSkipListMap<Long, AtomicLong> requestsPerSecond = new ConcurrentSkipListMap<>();
        private final Thread reader;
        private volatile boolean stopped;

        AuditTail(Path file) {
            reader = Thread.ofPlatform().daemon().name("audit-tail").start(() -> follow(file));
        }

        /** When the API server acknowledged the creation of this NetworkPolicy ({@code namespace/name}), if it did. */
        Instant policyCreated(String namespace, String name) {
            return policiesCreated.get(namespace + "/" + name);
        }

        /** Stanch's requests completed in [from, to), by their completion time. */
        long requests(Instant from, Instant to) {
            return requestsPerSecond.subMap(from.getEpochSecond(), to.getEpochSecond()).values().stream()
                    .mapToLong(AtomicLong::get)
                    .sum();
        }

        /** The busiest second in [from, to): Stanch's requests in it. */
        long peakRequestsPerSecond(Instant from, Instant to) {
            return requestsPerSecond.subMap(from.getEpochSecond(), to.getEpochSecond()).values().stream()
                    .mapToLong(AtomicLong::get)
                    .max()
                    .orElse(0);
        }

        private void follow(Path file) {
            try {
                // The server writes its first event with the first request it audits.
                while (!Files.exists(file) && !stopped) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                return;
            }
            try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
                byte[] buffer = new byte[1 << 16];
                java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
                while (!stopped) {
                    int read = in.read(buffer);
                    if (read <= 0) {
                        Thread.sleep(20);
                        continue;
                    }
                    for (int i = 0; i < read; i++) {
                        if (buffer[i] == '\n') {
                            event(line.toString(StandardCharsets.UTF_8));
                            line.reset();
                        } else {
                            line.write(buffer[i]);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void event(String text) {
            JsonNode event;
            try {
                event = json.readTree(text);
            } catch (JacksonException e) {
                return; // a line cut short by the server's stop
            }
            if (!"ResponseComplete".equals(event.path("stage").asString())) {
                return;
            }
            Instant completed = Instant.parse(event.path("stageTimestamp").asString());
            requestsPerSecond
                    .computeIfAbsent(completed.getEpochSecond(), second -> new AtomicLong())
                    .incrementAndGet();
            JsonNode object = event.path("objectRef");
            if ("create".equals(event.path("verb").asString())
                    && "networkpolicies".equals(object.path("resource").asString())
                    && event.path("responseStatus").path("code").asInt() == 201) {
                policiesCreated.put(
                        object.path("namespace").asString() + "/"
                                + object.path("name").asString(),
                        completed);
            }
        }

        @Override
        public void close() {
            stopped = true;
            reader.interrupt();
        }
    }
}
