package dev.stanch.app;

import dev.stanch.kubernetes.KubernetesFailure;
import dev.stanch.workflow.ClusterGuard;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.util.function.Supplier;

/**
 * The workflow's calls to the Kubernetes API behind one Resilience4j circuit breaker, {@value
 * #NAME}: once too many of the last calls failed transiently it opens, and for {@code
 * wait-duration-in-open-state} every call fails at once with a transient {@link KubernetesFailure}
 * instead of waiting for a server that is away. Being transient, the refusal is handled exactly as
 * the server's own 503 would be — the runner backs off, the Kafka intake delivers the record again,
 * HTTP detectors get 503 and post again — so nothing is lost. Then a few probe calls go through
 * (half-open): if they succeed the breaker closes, if not it opens again.
 *
 * <p>Only {@link KubernetesFailure.Reason#TRANSIENT transient} failures count as failures: a 403
 * or a 404 is the server answering, and counts as a success. A read the cluster cache refused
 * ({@link KubernetesFailure#cacheNotReady}: an informer not synced yet, or without its watch) counts
 * as neither — no call reached the server — so that a start-up or one failing informer does not open
 * the breaker and refuse the direct calls (apply, rollback) that would work. It is still transient
 * for its caller: the Kafka intake delivers again, the HTTP intake answers 503.
 */
final class KubernetesCircuitBreaker implements ClusterGuard {

    static final String NAME = "kubernetes";

    /** Probe calls let through when the wait is over. */
    static final int HALF_OPEN_CALLS = 3;

    private final CircuitBreaker breaker;

    KubernetesCircuitBreaker(CircuitBreakerRegistry registry, StanchProperties.CircuitBreaker settings) {
        this.breaker = registry.circuitBreaker(NAME, config(settings));
    }

    static CircuitBreakerConfig config(StanchProperties.CircuitBreaker settings) {
        int window = settings.slidingWindowSize();
        return CircuitBreakerConfig.custom()
                .failureRateThreshold(settings.failureRateThreshold())
                .waitDurationInOpenState(settings.waitDurationInOpenState())
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(window)
                .minimumNumberOfCalls(window)
                .permittedNumberOfCallsInHalfOpenState(Math.min(HALF_OPEN_CALLS, window))
                .recordException(KubernetesCircuitBreaker::isTransient)
                .ignoreException(KubernetesCircuitBreaker::isCacheNotReady)
                .build();
    }

    private static boolean isTransient(Throwable failure) {
        return failure instanceof KubernetesFailure kubernetes
                && kubernetes.reason() == KubernetesFailure.Reason.TRANSIENT
                && !kubernetes.cacheNotReady();
    }

    private static boolean isCacheNotReady(Throwable failure) {
        return failure instanceof KubernetesFailure kubernetes && kubernetes.cacheNotReady();
    }

    @Override
    public <T> T call(Supplier<T> call) {
        try {
            return breaker.executeSupplier(call);
        } catch (CallNotPermittedException e) {
            throw new KubernetesFailure(
                    KubernetesFailure.Reason.TRANSIENT,
                    "not calling the Kubernetes API: circuit breaker '" + NAME + "' is "
                            + breaker.getState().name().toLowerCase(java.util.Locale.ROOT)
                            + " after repeated transient failures",
                    e);
        }
    }

    CircuitBreaker breaker() {
        return breaker;
    }
}
