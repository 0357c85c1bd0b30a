package dev.stanch.api;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.workflow.Intake;
import dev.stanch.workflow.Responder;
import dev.stanch.workflow.Simulator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * The beans the API's controllers need, built for the API's tests: a real {@link Ledger} on the
 * embedded PostgreSQL (a fresh database per Spring context), Kubernetes through fabric8's mock
 * server in CRUD mode, the shipped playbooks from a directory of their own (so that reload can be
 * tried), and the guardrails with limits high enough that tests sharing a context do not rate-limit
 * each other. The production wiring (package {@code dev.stanch.app}) builds the same types.
 *
 * <p>A {@link TestConfiguration}, so that a component scan of the application never picks it up.
 */
@TestConfiguration(proxyBeanMethods = false)
public class ApiTestConfiguration {

    /**
     * The application the tests start: Spring Boot's auto-configuration, the API's components, and
     * the beans below — and not {@code dev.stanch.StanchApplication}, whose scan would bring in the
     * production wiring. Nested here, so that no component scan picks it up either; the tests name
     * both classes ({@link ApiHarness}).
     */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @ComponentScan(
            basePackages = "dev.stanch.api",
            excludeFilters = @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class))
    public static class Application {}

    /** The test JVM's PostgreSQL, handed over by {@link ApiHarness} before the first context starts. */
    static final AtomicReference<LedgerPostgres> POSTGRES = new AtomicReference<>();

    /** Where the playbooks in force are read from: tests write and break files there to reload. */
    public record PlaybookDirectory(Path path) {}

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    DataSource ledgerDataSource() {
        LedgerPostgres postgres = POSTGRES.get();
        if (postgres == null) {
            throw new IllegalStateException("no PostgreSQL: extend ApiHarness, which starts it");
        }
        return postgres.newDatabase();
    }

    @Bean
    Ledger ledger(DataSource ledgerDataSource, Clock clock) {
        return new Ledger(ledgerDataSource, clock);
    }

    /**
     * The readiness group names the service's {@code clusterCache} component; these tests read the
     * mock API server directly (no informer cache), so theirs is always up.
     */
    @Bean
    HealthIndicator clusterCacheHealthIndicator() {
        return () -> Health.up()
                .withDetail("cache", "none: the API tests read the cluster directly")
                .build();
    }

    @Bean(destroyMethod = "destroy")
    KubernetesMockServer kubernetesMockServer() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
        server.init();
        server.expect()
                .get()
                .withPath("/version")
                .andReturn(200, Map.of("major", "1", "minor", "30", "gitVersion", "v1.30.0"))
                .always();
        return server;
    }

    @Bean(destroyMethod = "close")
    KubernetesClient kubernetesClient(KubernetesMockServer server) {
        return server.createClient();
    }

    @Bean
    ClusterReader clusterReader(KubernetesClient kubernetesClient) {
        return new ClusterReader(kubernetesClient);
    }

    @Bean
    Guardrails guardrails() {
        return new Guardrails(null, null, null, null, 10_000, 10_000, 10_000, false);
    }

    @Bean
    PlaybookDirectory playbookDirectory() throws IOException {
        Path shipped = Path.of(System.getProperty("stanch.repo", "..")).resolve("playbooks");
        Path directory = Files.createTempDirectory("stanch-playbooks");
        try (Stream<Path> files = Files.list(shipped)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                Files.copy(file, directory.resolve(file.getFileName()));
            }
        }
        return new PlaybookDirectory(directory);
    }

    @Bean
    PlaybookCatalog playbookCatalog(PlaybookDirectory playbookDirectory, Clock clock) throws IOException {
        return PlaybookCatalog.load(playbookDirectory.path(), clock);
    }

    @Bean
    DetectionNormalizer detectionNormalizer(Clock clock) {
        return new DetectionNormalizer(clock);
    }

    @Bean
    Intake intake(
            Ledger ledger, PlaybookCatalog playbookCatalog, Guardrails guardrails, ClusterReader reader, Clock clock) {
        return new Intake(ledger, playbookCatalog::engine, guardrails, reader, clock);
    }

    @Bean
    Responder responder(Ledger ledger) {
        return new Responder(ledger);
    }

    @Bean
    Simulator simulator(
            Ledger ledger,
            PlaybookCatalog playbookCatalog,
            Guardrails guardrails,
            ClusterReader reader,
            DetectionNormalizer detectionNormalizer,
            Clock clock) {
        return new Simulator(ledger, playbookCatalog::engine, guardrails, reader, detectionNormalizer, clock);
    }
}
