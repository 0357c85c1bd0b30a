package dev.stanch.app;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings under {@code stanch.*} (the guardrails, {@code stanch.guardrails.*},
 * bind to their own record). Every default is what a fresh installation should do; each is checked
 * when the service starts, with a message that names the key.
 *
 * @param instanceId this instance's name among those sharing the ledger (the owner of its leases):
 *     must be unique. Default: the host name (a pod's name) and a random suffix
 * @param playbooks where the playbooks are and how often to look for changes
 * @param runner how the due actions are worked on
 * @param ledger whether this instance migrates the database schema on start
 * @param kubernetes which cluster to act on
 */
@ConfigurationProperties("stanch")
public record StanchProperties(
        String instanceId, Playbooks playbooks, Runner runner, Ledger ledger, Kubernetes kubernetes) {

    public StanchProperties {
        instanceId = instanceId == null || instanceId.isBlank() ? defaultInstanceId() : instanceId;
        playbooks = playbooks == null ? new Playbooks(null, null) : playbooks;
        runner = runner == null ? new Runner(null, null, null, null, null) : runner;
        ledger = ledger == null ? new Ledger(null) : ledger;
        kubernetes = kubernetes == null ? new Kubernetes(null, null) : kubernetes;
    }

    /**
     * @param kubeconfig a kubeconfig file to act with (its current context). Default: fabric8's own
     *     search — in a pod, its service account; elsewhere {@code KUBECONFIG}, then {@code
     *     ~/.kube/config}
     * @param circuitBreaker when to stop calling an API server that keeps failing, and when to try it
     *     again
     */
    public record Kubernetes(@Nullable Path kubeconfig, CircuitBreaker circuitBreaker) {

        public Kubernetes {
            circuitBreaker = circuitBreaker == null ? new CircuitBreaker(null, null, null) : circuitBreaker;
        }
    }

    /**
     * The circuit breaker around every Kubernetes API call of the workflow. Only transient failures
     * (no answer, 429, 5xx) count against the API server; a refusal (403, 404, 422 …) is an answer.
     *
     * @param failureRateThreshold the percentage (1–100) of transient failures among the last {@code
     *     slidingWindowSize} calls at which the breaker opens. Default: 50
     * @param waitDurationInOpenState how long calls fail fast before a few probe calls are let
     *     through (half-open). Default: 30s
     * @param slidingWindowSize how many of the last calls are counted; the breaker decides only once
     *     it has seen that many. Default: 10
     */
    public record CircuitBreaker(
            Float failureRateThreshold, Duration waitDurationInOpenState, Integer slidingWindowSize) {

        public CircuitBreaker {
            failureRateThreshold = failureRateThreshold == null ? 50f : failureRateThreshold;
            if (!(failureRateThreshold > 0 && failureRateThreshold <= 100)) {
                throw new IllegalArgumentException(
                        "stanch.kubernetes.circuit-breaker.failure-rate-threshold must be in (0, 100], not "
                                + failureRateThreshold);
            }
            waitDurationInOpenState = positive(
                    "stanch.kubernetes.circuit-breaker.wait-duration-in-open-state",
                    waitDurationInOpenState,
                    Duration.ofSeconds(30));
            slidingWindowSize = slidingWindowSize == null ? 10 : slidingWindowSize;
            if (slidingWindowSize < 1) {
                throw new IllegalArgumentException(
                        "stanch.kubernetes.circuit-breaker.sliding-window-size must be at least 1, not "
                                + slidingWindowSize);
            }
        }
    }

    /**
     * @param dir the directory of playbook files (every {@code .yaml}/{@code .yml} below it); required
     * @param reloadInterval how often the directory is checked for changes; a changed set replaces the
     *     one in force only when every file is valid. {@code 0s} turns the check off. Default: 10s
     */
    public record Playbooks(Path dir, Duration reloadInterval) {

        public Playbooks {
            Objects.requireNonNull(
                    dir,
                    "stanch.playbooks.dir is required: the directory of the playbooks to act on (e.g. /etc/stanch/playbooks)");
            reloadInterval = reloadInterval == null ? Duration.ofSeconds(10) : reloadInterval;
            if (reloadInterval.isNegative()) {
                throw new IllegalArgumentException(
                        "stanch.playbooks.reload-interval must not be negative, not " + reloadInterval);
            }
        }
    }

    /**
     * @param enabled whether this instance executes actions at all (an instance that only takes
     *     detections and serves the API leaves it off). Default: on
     * @param interval the longest this instance goes without looking for due actions. A move this
     *     instance commits that makes an action due at once (into approved, or a person's rollback)
     *     wakes the workers at once; the interval is for the rest: what other instances approved,
     *     expiry, approval timeouts, retries after a backoff, leases run out. Default: 2s
     * @param lease how long one claim on an action lasts; longer than an apply or rollback takes.
     *     Default: 2m
     * @param batch the most actions one run claims. Default: 20
     * @param workers how many threads of this instance run over the due actions at once, each
     *     claiming its own batch. Default: 4 — an action's run mostly waits on the API server, and a
     *     worker holds a database connection only for its ledger statements, so 4 keep two cores busy
     *     and leave the default pool of 10 room for the Kafka consumers and HTTP
     */
    public record Runner(Boolean enabled, Duration interval, Duration lease, Integer batch, Integer workers) {

        public Runner {
            enabled = enabled == null || enabled;
            interval = positive("stanch.runner.interval", interval, Duration.ofSeconds(2));
            lease = positive("stanch.runner.lease", lease, Duration.ofMinutes(2));
            batch = batch == null ? 20 : batch;
            if (batch < 1) {
                throw new IllegalArgumentException("stanch.runner.batch must be at least 1, not " + batch);
            }
            workers = workers == null ? 4 : workers;
            if (workers < 1) {
                throw new IllegalArgumentException("stanch.runner.workers must be at least 1, not " + workers);
            }
        }
    }

    /**
     * @param migrate whether this instance brings the schema up to date on start (Flyway; several
     *     instances starting together take turns on PostgreSQL's lock). Off where a separate job
     *     migrates with more rights than the service has. Default: on
     */
    public record Ledger(Boolean migrate) {

        public Ledger {
            migrate = migrate == null || migrate;
        }
    }

    private static Duration positive(String key, Duration value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, not " + value);
        }
        return value;
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "stanch";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
