package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.stanch.action.ServerInfo;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watch grace of the cluster cache on a clock of the test's own, with a stand-in informer: it
 * counts from the moment the watch was lost (as the periodic check saw it), not from the first
 * read after, and a watch that came back is forgotten whether or not anything read meanwhile.
 */
class ClusterCacheTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ClusterCache cache = new ClusterCache(null, now::get);

    @SuppressWarnings("unchecked")
    private final SharedIndexInformer<HasMetadata> pods = mock(SharedIndexInformer.class);

    ClusterCacheTest() {
        when(pods.isRunning()).thenReturn(true);
        when(pods.hasSynced()).thenReturn(true);
        when(pods.isWatching()).thenReturn(true);
        cache.track("Pod", pods);
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private void pass(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    @Test
    void aWatchDownLongerThanTheGraceIsRefusedOnTheFirstReadAfter() {
        cache.checkWatches();
        when(pods.isWatching()).thenReturn(false);
        cache.checkWatches(); // the loss, seen by the check while nothing reads
        pass(ClusterCache.WATCH_GRACE.plusSeconds(1));
        cache.checkWatches();

        assertThat(cache.notReady("Pod")).contains("has not been watching");
        assertThatThrownBy(() -> cache.list("Pod", Pod.class))
                .isInstanceOfSatisfying(KubernetesFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(KubernetesFailure.Reason.TRANSIENT);
                    assertThat(failure.cacheNotReady()).isTrue();
                });
    }

    @Test
    void aWatchBackBeforeAnyReadIsForgottenSoALaterShortLossIsServed() {
        when(pods.isWatching()).thenReturn(false);
        cache.checkWatches();
        pass(ClusterCache.WATCH_GRACE);
        when(pods.isWatching()).thenReturn(true);
        cache.checkWatches(); // back, and nobody read meanwhile
        pass(Duration.ofHours(1));

        when(pods.isWatching()).thenReturn(false);
        cache.checkWatches();
        assertThat(cache.notReady("Pod")).as("lost just now: within the grace").isNull();
        pass(ClusterCache.WATCH_GRACE.minusSeconds(1));
        assertThat(cache.notReady("Pod")).isNull();
        pass(Duration.ofSeconds(2));
        assertThat(cache.notReady("Pod")).isNotNull();
    }

    @Test
    void refusalsAreWarnedOfAtMostOnceAMinutePerKind() {
        KubernetesClientException forbidden = new KubernetesClientException(
                new StatusBuilder().withCode(403).withMessage("forbidden").build());
        assertThat(ClusterCache.refusedCode(new RuntimeException("watch", forbidden)))
                .isEqualTo(403);
        assertThat(ClusterCache.refusedCode(new KubernetesClientException(
                        new StatusBuilder().withCode(404).build())))
                .isEqualTo(404);
        assertThat(ClusterCache.refusedCode(new KubernetesClientException(
                        new StatusBuilder().withCode(503).build())))
                .isZero();
        assertThat(ClusterCache.refusedCode(new KubernetesClientException("watch closed")))
                .isZero();

        assertThat(cache.warnNow("Pod")).isTrue();
        assertThat(cache.warnNow("Pod")).isFalse();
        assertThat(cache.warnNow("NetworkPolicy")).as("per kind").isTrue();
        pass(ClusterCache.WARN_EVERY);
        assertThat(cache.warnNow("Pod")).isTrue();
    }

    @Test
    void syncedOnceStaysTrueWhenAWatchIsLostLater() {
        assertThat(cache.syncedOnce())
                .as("discovery has not said which policy kinds to cache")
                .isFalse();
        cache.serve(ServerInfo.of(1, 30));
        assertThat(cache.synced()).isTrue();
        when(pods.isWatching()).thenReturn(false);
        cache.checkWatches();
        pass(ClusterCache.WATCH_GRACE.plusSeconds(1));
        assertThat(cache.synced()).isFalse();
        assertThat(cache.syncedOnce()).isTrue();
    }
}
