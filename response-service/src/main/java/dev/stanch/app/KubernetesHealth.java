package dev.stanch.app;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.Locale;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code kubernetes} component of {@code /actuator/health}: the API circuit breaker's state.
 * {@code UP} while it is closed; {@code OPEN} or {@code HALF_OPEN} otherwise. These two are not
 * among the statuses the health endpoint aggregates (DOWN, OUT_OF_SERVICE, UP, UNKNOWN), so they
 * show in the component and change neither {@code /actuator/health}'s overall status nor the
 * liveness and readiness groups, which do not include this component anyway: restarting Stanch
 * does not bring an API server back, and taking every instance out of service when the API server
 * blips would also stop the REST API — approvals, rollbacks, the audit log — and the HTTP intake,
 * whose 503 already tells detectors to post again.
 */
final class KubernetesHealth implements HealthIndicator {

    private final CircuitBreaker breaker;

    KubernetesHealth(CircuitBreaker breaker) {
        this.breaker = breaker;
    }

    @Override
    public Health health() {
        CircuitBreaker.State state = breaker.getState();
        Status status = state == CircuitBreaker.State.CLOSED ? Status.UP : new Status(state.name());
        CircuitBreaker.Metrics metrics = breaker.getMetrics();
        return Health.status(status)
                .withDetail("circuitBreaker", state.name().toLowerCase(Locale.ROOT))
                .withDetail("failureRate", metrics.getFailureRate())
                .withDetail("notPermittedCalls", metrics.getNumberOfNotPermittedCalls())
                .build();
    }
}
