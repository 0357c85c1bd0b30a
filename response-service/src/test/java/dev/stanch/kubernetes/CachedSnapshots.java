package dev.stanch.kubernetes;

import static org.awaitility.Awaitility.await;

import dev.stanch.action.ClusterSnapshot;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Snapshots read as the service reads them — from a {@link ClusterCache} — and checked against a
 * direct read: the same objects (kind, namespace, name, resourceVersion) in every part.
 */
final class CachedSnapshots {

    private CachedSnapshots() {}

    /**
     * A snapshot from a cache started for this read as {@code client} (so its list and watch
     * requests are made with that identity), once it equals a direct read. The cache is closed after.
     */
    static ClusterSnapshot read(KubernetesClient client, String namespace) {
        try (ClusterCache cache = new ClusterCache(client).start()) {
            return readEqual(new ClusterReader(client, cache), new ClusterReader(client), namespace);
        }
    }

    /** Reads from {@code cached} until it equals a read from {@code direct}; transient failures meanwhile. */
    static ClusterSnapshot readEqual(ClusterReader cached, ClusterReader direct, String namespace) {
        AtomicReference<ClusterSnapshot> read = new AtomicReference<>();
        AtomicReference<Map<String, ?>> last = new AtomicReference<>();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreExceptionsMatching(e -> e instanceof KubernetesFailure failure
                            && failure.reason() == KubernetesFailure.Reason.TRANSIENT)
                    .until(() -> {
                        ClusterSnapshot fromCache = cached.read(namespace);
                        Map<String, ?> want = identities(direct.read(namespace));
                        Map<String, ?> got = identities(fromCache);
                        last.set(Map.of("cached", got, "direct", want));
                        read.set(fromCache);
                        return got.equals(want) && fromCache.server().equals(direct.server());
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "the cached snapshot of " + namespace + " never equalled a direct read; last: " + last.get(), e);
        }
        return read.get();
    }

    /** Each part of the snapshot as the set of "kind namespace/name@resourceVersion" it holds. */
    static Map<String, ?> identities(ClusterSnapshot snapshot) {
        Map<String, Object> parts = new TreeMap<>();
        parts.put("namespaces", ids(snapshot.namespaces()));
        parts.put("pods", ids(snapshot.pods()));
        parts.put("networkPolicies", ids(snapshot.networkPolicies()));
        parts.put("adminPolicies", ids(snapshot.adminPolicies()));
        parts.put("ciliumPolicies", ids(snapshot.ciliumPolicies()));
        parts.put("workloads", ids(snapshot.workloads()));
        parts.put("services", ids(snapshot.services()));
        parts.put("serviceAccounts", ids(snapshot.serviceAccounts()));
        parts.put("roleBindings", ids(snapshot.roleBindings()));
        parts.put("clusterRoleBindings", ids(snapshot.clusterRoleBindings()));
        parts.put("tokenSecrets", ids(snapshot.tokenSecrets()));
        return parts;
    }

    private static TreeSet<String> ids(List<? extends HasMetadata> objects) {
        TreeSet<String> ids = new TreeSet<>();
        for (HasMetadata object : objects) {
            ids.add(object.getKind() + " " + object.getMetadata().getNamespace() + "/"
                    + object.getMetadata().getName() + "@"
                    + object.getMetadata().getResourceVersion());
        }
        return ids;
    }
}
