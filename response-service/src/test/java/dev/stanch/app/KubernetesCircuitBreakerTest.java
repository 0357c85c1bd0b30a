package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.kubernetes.KubernetesFailure;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** What the breaker counts, what it throws when open, and its settings' bounds. */
class KubernetesCircuitBreakerTest {

    private static final Supplier<String> UNAVAILABLE = () -> {
        throw new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "503");
    };
    private static final Supplier<String> FORBIDDEN = () -> {
        throw new KubernetesFailure(KubernetesFailure.Reason.FORBIDDEN, "403");
    };

    private final KubernetesCircuitBreaker guard = new KubernetesCircuitBreaker(
            CircuitBreakerRegistry.ofDefaults(), new StanchProperties.CircuitBreaker(50f, Duration.ofMinutes(10), 4));

    @Test
    void transientFailuresOpenItAndThenCallsFailFastWithATransientFailure() {
        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> guard.call(UNAVAILABLE)).isInstanceOf(KubernetesFailure.class);
        }
        assertThat(guard.breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> guard.call(calls::incrementAndGet))
                .isInstanceOfSatisfying(
                        KubernetesFailure.class,
                        failure -> assertThat(failure.reason()).isEqualTo(KubernetesFailure.Reason.TRANSIENT))
                .hasMessageContaining("circuit breaker 'kubernetes' is open");
        assertThat(calls).as("not called").hasValue(0);
    }

    @Test
    void aRefusalIsAnAnswerAndNeverOpensIt() {
        for (int i = 0; i < 20; i++) {
            assertThatThrownBy(() -> guard.call(FORBIDDEN))
                    .isInstanceOfSatisfying(
                            KubernetesFailure.class,
                            failure -> assertThat(failure.reason()).isEqualTo(KubernetesFailure.Reason.FORBIDDEN));
        }
        assertThat(guard.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guard.call(() -> "ok")).isEqualTo("ok");
    }

    @Test
    void aReadTheClusterCacheRefusedIsNotRecordedAndLeavesDirectCallsThrough() {
        Supplier<String> cacheNotReady = () -> {
            throw KubernetesFailure.ofCacheNotReady("read Pods from the cluster cache: not synced yet");
        };
        for (int i = 0; i < 20; i++) {
            assertThatThrownBy(() -> guard.call(cacheNotReady))
                    .isInstanceOfSatisfying(KubernetesFailure.class, failure -> {
                        assertThat(failure.reason())
                                .as("still transient for the intake and the HTTP 503")
                                .isEqualTo(KubernetesFailure.Reason.TRANSIENT);
                        assertThat(failure.cacheNotReady()).isTrue();
                    });
        }
        CircuitBreaker.Metrics metrics = guard.breaker().getMetrics();
        assertThat(metrics.getNumberOfFailedCalls())
                .as("no API server failure recorded")
                .isZero();
        assertThat(metrics.getNumberOfSuccessfulCalls()).as("nor a success").isZero();
        assertThat(guard.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guard.call(() -> "applied")).isEqualTo("applied");

        // Mixed in among real failures, it neither opens the breaker early nor dilutes the rate.
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> guard.call(UNAVAILABLE)).isInstanceOf(KubernetesFailure.class);
            assertThatThrownBy(() -> guard.call(cacheNotReady)).isInstanceOf(KubernetesFailure.class);
        }
        assertThat(guard.breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
    }

    @Test
    void defaultsAndBounds() {
        StanchProperties.CircuitBreaker defaults = new StanchProperties.CircuitBreaker(null, null, null);
        assertThat(defaults).isEqualTo(new StanchProperties.CircuitBreaker(50f, Duration.ofSeconds(30), 10));
        assertThatThrownBy(() -> new StanchProperties.CircuitBreaker(0f, null, null))
                .hasMessageContaining("stanch.kubernetes.circuit-breaker.failure-rate-threshold");
        assertThatThrownBy(() -> new StanchProperties.CircuitBreaker(null, Duration.ZERO, null))
                .hasMessageContaining("stanch.kubernetes.circuit-breaker.wait-duration-in-open-state");
        assertThatThrownBy(() -> new StanchProperties.CircuitBreaker(null, null, 0))
                .hasMessageContaining("stanch.kubernetes.circuit-breaker.sliding-window-size");
    }
}
