package dev.stanch.app;

import dev.stanch.kubernetes.ClusterCache;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code clusterCache} component of {@code /actuator/health}, in the readiness group: {@code
 * OUT_OF_SERVICE} until the {@link ClusterCache} has synced once, {@code UP} from then on. A new
 * instance is not sent HTTP detections it could only answer with 503 (every plan reads the cache)
 * while its informers list the cluster.
 *
 * <p>Ready means synced once, not synced now: when a watch is lost later, readiness stays up, for
 * the reason {@link KubernetesHealth} gives for the circuit breaker — taking instances out of
 * service does not bring an API server back, and it would also stop the REST API (approvals,
 * rollbacks, the audit log). Reads that need the lost watch fail transiently meanwhile, and the
 * detail {@code synced} says so.
 */
final class ClusterCacheHealth implements HealthIndicator {

    private final ClusterCache cache;

    ClusterCacheHealth(ClusterCache cache) {
        this.cache = cache;
    }

    @Override
    public Health health() {
        boolean syncedNow = cache.synced();
        boolean syncedOnce = syncedNow || cache.syncedOnce();
        return Health.status(syncedOnce ? Status.UP : Status.OUT_OF_SERVICE)
                .withDetail("synced", syncedNow)
                .withDetail("syncedOnce", syncedOnce)
                .build();
    }
}
