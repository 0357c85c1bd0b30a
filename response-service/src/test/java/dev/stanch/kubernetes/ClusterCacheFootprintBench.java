package dev.stanch.kubernetes;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster cache's heap per pod, measured: a program that prints numbers, not a test (no
 * *Test/*IT suffix: the build does not run it). Run with {@code -Dit.test=ClusterCacheFootprintBench
 * -Dfootprint.pods=5000}. It creates that many running pods (labels, one container, a status with
 * an IP — what ClusterFixtures makes; real pods with managedFields, env and volumes are larger) on
 * the real API server, then compares the retained heap before and after a cache synced.
 */
@ExtendWith(KubeApiServerExtension.class)
class ClusterCacheFootprintBench {

    private final KubeApiServer kube;

    ClusterCacheFootprintBench(KubeApiServer kube) {
        this.kube = kube;
    }

    @Test
    void heapPerCachedPod() throws Exception {
        int pods = Integer.getInteger("footprint.pods", 5000);
        KubernetesClient admin = kube.admin();
        String namespace = kube.createNamespace("footprint");
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            IntStream.range(0, pods)
                    .mapToObj(i -> threads.submit(() -> ClusterFixtures.runningPod(
                            admin,
                            namespace,
                            "pod-" + i,
                            "10." + (100 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256),
                            Map.of("app", "app-" + (i % 50), "tier", "backend"))))
                    .toList()
                    .forEach(future -> {
                        try {
                            future.get();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
        }
        long before = retainedHeap();
        try (ClusterCache cache = new ClusterCache(admin).start()) {
            await().atMost(Duration.ofMinutes(5)).until(cache::synced);
            int cached =
                    cache.list("Pod", io.fabric8.kubernetes.api.model.Pod.class).size();
            long after = retainedHeap();
            System.out.printf(
                    "cluster cache footprint: %d pods cached, heap %d MB -> %d MB, %.1f KB per pod%n",
                    cached, before >> 20, after >> 20, (after - before) / 1024.0 / cached);
        }
    }

    private static long retainedHeap() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
