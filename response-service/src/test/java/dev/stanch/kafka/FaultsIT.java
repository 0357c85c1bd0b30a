package dev.stanch.kafka;

import static dev.stanch.kafka.ServiceHarness.ASK_RULE;
import static dev.stanch.kafka.ServiceHarness.C2_RULE;
import static dev.stanch.kafka.ServiceHarness.await;
import static dev.stanch.kafka.ServiceHarness.detectionId;
import static dev.stanch.kafka.ServiceHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Proof that nothing is lost when what Stanch depends on goes away, on the whole service as
 * deployed: a real Kafka broker (KRaft, in this JVM), the ledger on a real PostgreSQL reached
 * through a {@link TcpProxy} the test can cut, and the fabric8 mock API server, which answers 503
 * at will. Each test uses its own pods. {@code RestartIT} covers an abrupt stop.
 */
@ExtendWith({LedgerPostgresExtension.class, EmbeddedKafkaExtension.class})
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "stanch.runner.interval=100ms",
            "stanch.playbooks.reload-interval=0s",
            "stanch.guardrails.protected-namespaces=kube-system",
            "stanch.kafka.retry.initial-interval=200ms",
            "stanch.kafka.retry.max-interval=1s",
            "stanch.kafka.relay.interval=100ms",
            "stanch.kubernetes.circuit-breaker.sliding-window-size=4",
            "stanch.kubernetes.circuit-breaker.wait-duration-in-open-state=1s",
            // An unreachable database fails a request in 2 s rather than Hikari's 30.
            "spring.datasource.hikari.connection-timeout=2000",
        })
class FaultsIT {

    private static final String PASSWORD = "faults-test-password";

    @TempDir
    static Path dir;

    private static ServiceHarness stanch;
    private static TcpProxy database;
    private static String proxiedUrl;

    @Autowired
    CircuitBreakerRegistry breakers;

    @Autowired
    MeterRegistry meters;

    @LocalServerPort
    int port;

    @BeforeAll
    static void startDependencies(LedgerPostgres postgres, EmbeddedKafkaBroker kafka) throws IOException {
        String directUrl = postgres.newEmptyDatabase();
        Matcher hostPort = Pattern.compile("//([^:/]+):(\\d+)/").matcher(directUrl);
        assertThat(hostPort.find()).as("host and port in " + directUrl).isTrue();
        database = new TcpProxy(hostPort.group(1), Integer.parseInt(hostPort.group(2)));
        proxiedUrl = directUrl.replace(hostPort.group(0), "//" + hostPort.group(1) + ":" + database.port() + "/");
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setURL(directUrl);
        direct.setUser("postgres");
        stanch = new ServiceHarness(dir, kafka.getBrokersAsString(), direct);
    }

    @DynamicPropertySource
    static void dependencies(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> proxiedUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("stanch.kubernetes.kubeconfig", () -> stanch.kubeconfig.toString());
        registry.add("stanch.playbooks.dir", () -> stanch.playbooks.toString());
        registry.add("spring.kafka.bootstrap-servers", () -> stanch.brokers);
        String hash = new BCryptPasswordEncoder(4).encode(PASSWORD);
        registry.add("stanch.security.users[0].name", () -> "falco");
        registry.add("stanch.security.users[0].roles", () -> "detector");
        registry.add("stanch.security.users[0].password-hash", () -> hash);
        registry.add("stanch.security.users[1].name", () -> "alice");
        registry.add("stanch.security.users[1].roles", () -> "responder");
        registry.add("stanch.security.users[1].password-hash", () -> hash);
    }

    @AfterAll
    static void stopDependencies() throws IOException {
        stanch.close();
        database.close();
    }

    /**
     * (a) The API server answers 503 for a while, as detections arrive on Kafka and an approved
     * action is due: the breaker opens and calls fail fast (not permitted), no detection is stored
     * meanwhile and the approved action is not applied; once the server is back, half-open probes
     * close the breaker, every detection becomes exactly one action and every action is applied once.
     */
    @Test
    void whileTheApiServerIsAwayTheBreakerOpensAndOnceItIsBackEveryDetectionIsOneActionAppliedOnce() throws Exception {
        CircuitBreaker breaker = breakers.circuitBreaker("kubernetes");
        stanch.pod("api-0", "10.1.0.10");
        String asked = event(ASK_RULE, "api-0", "10.1.0.10");
        stanch.produce("api-0", asked);
        UUID approved = stanch.awaitAction(detectionId(asked));
        stanch.awaitStatus(approved, "pending-approval");
        List<String> arriving = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            stanch.pod("api-" + i, "10.1.0.1" + i);
            arriving.add(event(C2_RULE, "api-" + i, "10.1.0.1" + i));
        }
        double retries = meters.get(DetectionOutcomes.RETRIES).counter().count();

        stanch.apiUnavailable.set(true);
        try {
            assertThat(approve(approved).statusCode())
                    .as("approving needs no cluster")
                    .isEqualTo(200);
            arriving.forEach(event -> stanch.produce(podOf(event), event));

            await("the breaker opens", () -> breaker.getState() == CircuitBreaker.State.OPEN);
            assertThat(meters.find("resilience4j.circuitbreaker.state")
                            .tags("name", "kubernetes", "state", "open")
                            .gauge())
                    .as("the breaker's state is a metric")
                    .isNotNull()
                    .satisfies(gauge -> assertThat(gauge.value()).isEqualTo(1.0));
            await("calls fail fast while it is open", () -> breaker.getMetrics().getNumberOfNotPermittedCalls() > 0);
            await(
                    "the intake fails and records are delivered again",
                    () -> meters.get(DetectionOutcomes.RETRIES).counter().count() - retries >= 2);
            HttpResponse<String> health = get("/actuator/health");
            assertThat(health.statusCode())
                    .as("the service stays up: " + health.body())
                    .isEqualTo(200);
            assertThat(health.body()).contains("\"kubernetes\":{\"status\":\"OPEN\"");
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
            for (String event : arriving) {
                assertThat(stanch.storedDetection(detectionId(event)))
                        .as("nothing stored")
                        .isFalse();
            }
            assertThat(stanch.status(approved))
                    .as("not applied while the server is away (the runner may have begun: applying)")
                    .isIn("approved", "applying");
            assertThat(stanch.transitions(approved)).doesNotContain("applied");
        } finally {
            stanch.apiUnavailable.set(false);
        }

        for (String event : arriving) {
            UUID action = stanch.awaitAction(detectionId(event));
            stanch.awaitStatus(action, "applied");
            assertThat(stanch.actionsOf(detectionId(event))).as("one action").containsExactly(action);
            assertThat(stanch.networkPoliciesOf(action)).isPositive();
        }
        // The approved action's transient failure put it off by the runner's first backoff (30 s).
        await(
                "the approved action is applied",
                () -> stanch.transitions(approved).contains("applied"));
        await("the breaker closes", () -> breaker.getState() == CircuitBreaker.State.CLOSED);
        for (UUID action : allActions(arriving, approved)) {
            assertThat(stanch.transitions(action))
                    .as("applied once: " + action)
                    .filteredOn("applied"::equals)
                    .hasSize(1);
        }
    }

    /**
     * (b) The database cannot be reached (the proxy in front of it closes its port and every
     * connection): detections produced meanwhile are not lost — their records are delivered again
     * until the ledger is back — and each becomes one action; the HTTP intake answers 503
     * ledger-unavailable meanwhile, and takes the detection in once the database is back.
     */
    @Test
    void whileTheDatabaseIsAwayDetectionsWaitOnKafkaAndHttpAnswers503ThenEachBecomesOneAction() throws Exception {
        List<String> arriving = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            stanch.pod("db-" + i, "10.2.0.1" + i);
            arriving.add(event(C2_RULE, "db-" + i, "10.2.0.1" + i));
        }
        stanch.pod("db-http", "10.2.0.20");
        String posted = event(C2_RULE, "db-http", "10.2.0.20");
        double retries = meters.get(DetectionOutcomes.RETRIES).counter().count();

        database.cut();
        try {
            arriving.forEach(event -> stanch.produce(podOf(event), event));
            await(
                    "the intake fails and records are delivered again",
                    () -> meters.get(DetectionOutcomes.RETRIES).counter().count() - retries >= 2);
            HttpResponse<String> answer = post("/api/v1/detections", "falco", posted);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(answer.body()).contains("ledger-unavailable");
            assertThat(answer.headers().firstValue("Retry-After")).isPresent();
            for (String event : arriving) {
                assertThat(stanch.storedDetection(detectionId(event))).isFalse();
            }
        } finally {
            database.restore();
        }

        for (String event : arriving) {
            UUID action = stanch.awaitAction(detectionId(event));
            stanch.awaitStatus(action, "applied");
            assertThat(stanch.actionsOf(detectionId(event))).as("one action").containsExactly(action);
        }
        HttpResponse<String> again = post("/api/v1/detections", "falco", posted);
        assertThat(again.statusCode()).as(again.body()).isBetween(200, 299);
        assertThat(stanch.actionsOf(detectionId(posted))).hasSize(1);
    }

    /**
     * (d) The whole path with a person: a detection that needs approval arrives on Kafka, alice
     * approves it over REST, it is applied, expires after its stage's 2 s and is rolled back; {@code
     * stanch.actions} tells each of its transitions once, in order.
     */
    @Test
    void aDetectionApprovedOverRestIsAppliedExpiresAndIsRolledBackEachTransitionPublishedOnceInOrder()
            throws Exception {
        stanch.pod("person-1", "10.3.0.11");
        String event = event(ASK_RULE, "person-1", "10.3.0.11");
        stanch.produce("person-1", event);
        UUID action = stanch.awaitAction(detectionId(event));
        stanch.awaitStatus(action, "pending-approval");

        HttpResponse<String> approval = approve(action);
        assertThat(approval.statusCode()).as(approval.body()).isEqualTo(200);

        stanch.awaitStatus(action, "rolled-back");
        assertThat(stanch.networkPoliciesOf(action))
                .as("nothing left in the cluster")
                .isZero();
        await("every transition is published", () -> stanch.unpublished() == 0);
        List<Map<String, Object>> events = stanch.actionEvents().stream()
                .filter(e -> action.toString().equals(e.get("subject")))
                .toList();
        assertThat(events)
                .extracting(e -> e.get("type"))
                .containsExactly(
                        "dev.stanch.action.planned",
                        "dev.stanch.action.pending-approval",
                        "dev.stanch.action.approved",
                        "dev.stanch.action.applying",
                        "dev.stanch.action.applied",
                        "dev.stanch.action.rolling-back",
                        "dev.stanch.action.rolled-back");
        assertThat(events).extracting(e -> e.get("id")).doesNotHaveDuplicates();
        @SuppressWarnings("unchecked")
        Map<String, Object> approvedData = (Map<String, Object>) events.get(2).get("data");
        assertThat(approvedData).containsEntry("actor", "alice");
    }

    // ---------------------------------------------------------------------------------------------

    private List<UUID> allActions(List<String> events, UUID also) {
        List<UUID> actions = new ArrayList<>(events.stream()
                .map(e -> stanch.actionsOf(detectionId(e)).getFirst())
                .toList());
        actions.add(also);
        return actions;
    }

    private static String podOf(String event) {
        Matcher pod = Pattern.compile("\"k8s.pod.name\":\"([^\"]+)\"").matcher(event);
        assertThat(pod.find()).isTrue();
        return pod.group(1);
    }

    private HttpResponse<String> approve(UUID action) throws IOException, InterruptedException {
        return post("/api/v1/actions/" + action + "/approve", "alice", "{\"reason\":\"checked the pod\"}");
    }

    private HttpResponse<String> post(String path, String user, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Authorization", basic(user))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }
}
