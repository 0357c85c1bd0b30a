package dev.stanch.app;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.kubernetes.ActionExecutor;
import dev.stanch.kubernetes.ClusterCache;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.ledger.Ledger;
import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.workflow.Intake;
import dev.stanch.workflow.Responder;
import dev.stanch.workflow.Runner;
import dev.stanch.workflow.Simulator;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The service's parts, put together: the plain-Java features get their collaborators here, by
 * constructor, and nothing of Spring reaches into them.
 *
 * <p>The database comes from Spring Boot's {@code spring.datasource.*} and the cluster from
 * fabric8's own configuration (in a pod its service account; elsewhere {@code KUBECONFIG} or
 * {@code ~/.kube/config}), so that both are configured the way their operators already know.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(StanchProperties.class)
@EnableScheduling
class StanchConfiguration {

    private static final Logger log = LoggerFactory.getLogger(StanchConfiguration.class);

    static final int CLIENT_REQUEST_RETRIES = 1;

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    Ledger ledger(DataSource dataSource, StanchProperties properties, Clock clock) {
        if (properties.ledger().migrate()) {
            Ledger.migrate(dataSource);
        }
        return new Ledger(dataSource, clock);
    }

    /**
     * The guardrails, from {@code stanch.guardrails.*}: bound here rather than as configuration
     * properties because the record belongs to the plain-Java core. A key left out keeps its
     * default; a bad value stops the start with the field named.
     */
    @Bean
    Guardrails guardrails(Environment environment) {
        return Binder.get(environment)
                .bind("stanch.guardrails", Guardrails.class)
                .orElseGet(Guardrails::defaults);
    }

    @Bean
    PlaybookCatalog playbookCatalog(StanchProperties properties, Clock clock) {
        try {
            return PlaybookCatalog.load(properties.playbooks().dir(), clock);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the playbooks in " + properties.playbooks().dir(), e);
        }
    }

    /**
     * The client, with fabric8's own retries of failed requests cut to {@link
     * #CLIENT_REQUEST_RETRIES}: its default (10, with backoff) holds one failing call ~19 s, while the
     * callers retry on their own terms — the runner with its backoff, the Kafka intake by redelivery,
     * a detector posting over HTTP after the 503 it gets at once.
     */
    @Bean(destroyMethod = "close")
    KubernetesClient kubernetesClient(StanchProperties properties) {
        Path kubeconfig = properties.kubernetes().kubeconfig();
        Config config;
        try {
            config = kubeconfig == null
                    ? Config.autoConfigure(null)
                    : Config.fromKubeconfig(Files.readString(kubeconfig));
        } catch (IOException e) {
            throw new UncheckedIOException("stanch.kubernetes.kubeconfig: cannot read " + kubeconfig, e);
        }
        config.setRequestRetryBackoffLimit(CLIENT_REQUEST_RETRIES);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /**
     * The informers every plan and verification reads from, started with the context without
     * waiting for them: while the API server is away they keep trying, and reads fail transiently
     * (the intake redelivers, the runner backs off) until they have synced. Closed on shutdown,
     * after the reader and executor that use it.
     */
    @Bean(destroyMethod = "close")
    ClusterCache clusterCache(KubernetesClient client) {
        return new ClusterCache(client).start();
    }

    /** {@code /actuator/health}'s {@code clusterCache} component, in readiness: see {@link ClusterCacheHealth}. */
    @Bean
    ClusterCacheHealth clusterCacheHealthIndicator(ClusterCache cache) {
        return new ClusterCacheHealth(cache);
    }

    @Bean
    ClusterReader clusterReader(KubernetesClient client, ClusterCache cache) {
        return new ClusterReader(client, cache);
    }

    @Bean
    ActionExecutor actionExecutor(KubernetesClient client, ClusterCache cache) {
        return new ActionExecutor(client, cache);
    }

    /**
     * The circuit breaker every workflow call to the API goes through, from {@code
     * stanch.kubernetes.circuit-breaker.*}. It lives in Resilience4j's registry when Spring Boot
     * made one, so that its metrics ({@code resilience4j.circuitbreaker.*}, name {@code kubernetes})
     * are published with the others.
     */
    @Bean
    KubernetesCircuitBreaker kubernetesCircuitBreaker(
            ObjectProvider<CircuitBreakerRegistry> registry, StanchProperties properties) {
        return new KubernetesCircuitBreaker(
                registry.getIfAvailable(CircuitBreakerRegistry::ofDefaults),
                properties.kubernetes().circuitBreaker());
    }

    /** {@code /actuator/health}'s {@code kubernetes} component: see {@link KubernetesHealth}. */
    @Bean
    KubernetesHealth kubernetesHealthIndicator(KubernetesCircuitBreaker breaker) {
        return new KubernetesHealth(breaker.breaker());
    }

    @Bean
    DetectionNormalizer detectionNormalizer(Clock clock) {
        return new DetectionNormalizer(clock);
    }

    /** Stanch's own metrics: registered on the ledger, which tells them of each committed transition. */
    @Bean
    StanchMetrics stanchMetrics(MeterRegistry registry, Ledger ledger, Clock clock) {
        return new StanchMetrics(registry, ledger, clock);
    }

    @Bean
    Intake intake(
            Ledger ledger,
            PlaybookCatalog playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            KubernetesCircuitBreaker breaker,
            Clock clock,
            StanchMetrics metrics) {
        return new Intake(ledger, playbooks::engine, guardrails, reader, breaker, clock, metrics);
    }

    @Bean
    Runner runner(
            Ledger ledger, ActionExecutor executor, KubernetesCircuitBreaker breaker, StanchProperties properties) {
        return new Runner(
                ledger,
                executor,
                breaker,
                properties.runner().lease(),
                properties.runner().batch());
    }

    /**
     * The runner's worker threads, started with the context and stopped first on close (also their
     * destroy method, should the context fail to start after them). Told of this instance's committed
     * moves, so that an approval or a person's rollback is taken up at once, not at the next
     * interval; with {@code stanch.runner.enabled} off they neither start nor listen.
     */
    @Bean(destroyMethod = "stop")
    RunnerWorkers runnerWorkers(Runner runner, Ledger ledger, StanchProperties properties, Environment environment) {
        StanchProperties.Runner settings = properties.runner();
        RunnerWorkers workers = new RunnerWorkers(runner::runDue, properties.instanceId(), settings);
        if (!settings.enabled()) {
            log.info("stanch.runner.enabled is off: this instance executes no actions");
            return workers;
        }
        ledger.addTransitionListener(workers);
        // Each worker holds a connection for its ledger statements: as many workers as connections
        // leave none for the intake and the API whenever all of them are in the ledger at once.
        int pool = environment.getProperty("spring.datasource.hikari.maximum-pool-size", Integer.class, 10);
        if (settings.workers() >= pool) {
            log.warn(
                    "stanch.runner.workers ({}) is not below spring.datasource.hikari.maximum-pool-size ({}): the"
                            + " intake and the API wait for connections while the runner works; see"
                            + " docs/operations.md on sizing the pool",
                    settings.workers(),
                    pool);
        }
        return workers;
    }

    @Bean
    Responder responder(Ledger ledger) {
        return new Responder(ledger);
    }

    @Bean
    Simulator simulator(
            Ledger ledger,
            PlaybookCatalog playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            KubernetesCircuitBreaker breaker,
            DetectionNormalizer normalizer,
            Clock clock) {
        return new Simulator(ledger, playbooks::engine, guardrails, reader, breaker, normalizer, clock);
    }
}
