package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.Await;
import dev.stanch.action.StanchLabels;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.kubernetes.ClusterFixtures;
import dev.stanch.kubernetes.Kubeconfigs;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.workflow.Intake;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service as it is deployed: the whole application context on a real PostgreSQL (which it
 * migrates itself) and a Kubernetes API (fabric8's mock, enough for the wiring), configured only
 * through its properties. Proves the parts are put together: a detection taken in is applied by
 * the scheduled runner without anyone calling it, and changed playbooks are picked up — or refused
 * with the last good set kept.
 */
@ExtendWith(LedgerPostgresExtension.class)
// Closed after this class: its schedules must not outlive the database and cluster it was given.
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "stanch.runner.interval=100ms",
            "stanch.playbooks.reload-interval=100ms",
            "stanch.guardrails.protected-namespaces=kube-system",
            // As the chart sets it when its ServiceMonitor is on.
            "management.endpoints.web.exposure.include=health,info,prometheus",
        })
class StanchServiceIT {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final String PASSWORD = "correct horse battery staple";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path playbooks;

    private static String databaseUrl;
    private static KubernetesMockServer kubernetes;
    private static KubernetesClient admin;
    private static Path kubeconfig;

    @Autowired
    Intake intake;

    @Autowired
    Ledger ledger;

    @Autowired
    PlaybookCatalog catalog;

    @BeforeAll
    static void startDependencies(LedgerPostgres postgres, @TempDir Path dir) throws IOException {
        databaseUrl = postgres.newEmptyDatabase();
        kubernetes = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        admin = kubernetes.createClient();
        kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), admin.getConfiguration());
        Files.writeString(playbooks.resolve("c2.yaml"), playbook("outbound-c2", "approval: auto"));
        Files.writeString(playbooks.resolve("ask.yaml"), """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: ask-on-shell
                spec:
                  match:
                    sources: [falco]
                    rules: ["Terminal shell in container"]
                  stages:
                    - name: ask
                      after: 1
                      action: quarantine-pod
                      approval: required
                      approvalTimeout: 30m
                """);
    }

    @DynamicPropertySource
    static void dependencies(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> databaseUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("stanch.kubernetes.kubeconfig", () -> kubeconfig.toString());
        registry.add("stanch.playbooks.dir", () -> playbooks.toString());
        // One password for both, hashed as an operator would (cost 4 only to keep the test quick). All
        // of a list's entries come from one property source: Spring Boot does not merge indexed lists.
        String hash = new BCryptPasswordEncoder(4).encode(PASSWORD);
        registry.add("stanch.security.users[0].name", () -> "falco");
        registry.add("stanch.security.users[0].roles", () -> "detector");
        registry.add("stanch.security.users[0].password-hash", () -> hash);
        registry.add("stanch.security.users[1].name", () -> "alice");
        registry.add("stanch.security.users[1].roles", () -> "responder");
        registry.add("stanch.security.users[1].password-hash", () -> hash);
    }

    @AfterAll
    static void stopKubernetes() {
        admin.close();
        kubernetes.destroy();
    }

    @LocalServerPort
    int port;

    @Test
    void readyWithItsLedger() throws Exception {
        HttpResponse<String> readiness;
        try (HttpClient http = HttpClient.newHttpClient()) {
            readiness = http.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/readiness"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).endsWith("\"status\":\"UP\"}").contains("\"db\":{\"status\":\"UP\"}");
        assertThat(ledger.verify().intact()).isTrue();
    }

    @Test
    void prometheusScrapesWithoutCredentials() {
        HttpResponse<String> scrape = send(null, "GET", "/actuator/prometheus", null);

        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("hikaricp_connections_active{pool=\"ledger\"");
        assertThat(send(null, "GET", "/actuator/env", null).statusCode()).isIn(401, 404);
    }

    @Test
    void aDetectionIsAppliedByTheScheduledRunner() {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("shop")
                        .endMetadata()
                        .build())
                .create();
        ClusterFixtures.runningPod(admin, "shop", "web-1", "10.0.0.11", Map.of("app", "web"));

        Intake.Result result = intake.accept(c2Detection("web-1", "10.0.0.11"));

        assertThat(result).isInstanceOf(Intake.Result.Acted.class);
        var action = ((Intake.Result.Acted) result).action();
        assertThat(action.status()).isEqualTo(ActionStatus.APPROVED);
        await(
                "the runner applies " + action.id(),
                () -> ledger.action(action.id()).status() == ActionStatus.APPLIED);
        List<NetworkPolicy> policies = admin.network()
                .v1()
                .networkPolicies()
                .inNamespace("shop")
                .list()
                .getItems();
        assertThat(policies)
                .singleElement()
                .satisfies(policy -> assertThat(policy.getMetadata().getLabels())
                        .containsEntry("app.kubernetes.io/managed-by", "stanch"));
    }

    /**
     * Stanch's own series after an action was applied: the transitions it made, its detection's
     * latency, the intake's timing, and the ledger's counts — tagged by kind, status and outcome only,
     * never by a pod or namespace. Counts are at least 1, not equal: other tests act too.
     */
    @Test
    void prometheusServesStanchsOwnMetricsAfterAnActionWasApplied() {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("metrics")
                        .endMetadata()
                        .build())
                .create();
        ClusterFixtures.runningPod(admin, "metrics", "web-9", "10.0.9.19", Map.of("app", "web"));

        Intake.Result result = intake.accept(c2Detection("metrics", "web-9", "10.0.9.19"));
        assertThat(result).isInstanceOf(Intake.Result.Acted.class);
        var action = ((Intake.Result.Acted) result).action();
        await(
                "the runner applies " + action.id(),
                () -> ledger.action(action.id()).status() == ActionStatus.APPLIED);
        // The gauges count the ledger at most every few seconds: wait for a count that includes it.
        await("the gauges count an applied action", () -> sample(scrape(), "stanch_actions{status=\"applied\"}") >= 1);

        String scrape = scrape();
        assertThat(sample(scrape, "stanch_actions_transitions_total{kind=\"block-connection\",to=\"planned\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "stanch_actions_transitions_total{kind=\"block-connection\",to=\"approved\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "stanch_actions_transitions_total{kind=\"block-connection\",to=\"applying\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "stanch_actions_transitions_total{kind=\"block-connection\",to=\"applied\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "stanch_actions_transitions_total{kind=\"revoke-token\",to=\"failed\"}"))
                .as("every series exists from the start")
                .isZero();
        assertThat(sample(scrape, "stanch_detection_to_action_seconds_count{kind=\"block-connection\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape)
                .contains("stanch_detection_to_action_seconds_bucket{kind=\"block-connection\",le=\"0.5\"}")
                .contains("stanch_detection_to_action_seconds_bucket{kind=\"block-connection\",le=\"300.0\"}");
        assertThat(sample(scrape, "stanch_intake_seconds_count{outcome=\"acted\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "stanch_actions{status=\"rejected\"}")).isGreaterThanOrEqualTo(0);
        assertThat(sample(scrape, "stanch_approvals_pending")).isGreaterThanOrEqualTo(0);
        assertThat(scrape.lines().filter(line -> line.startsWith("stanch_")))
                .isNotEmpty()
                .noneMatch(line -> line.contains("pod=") || line.contains("namespace=") || line.contains("web-9"));
    }

    private String scrape() {
        HttpResponse<String> scrape = send(null, "GET", "/actuator/prometheus", null);
        assertThat(scrape.statusCode()).isEqualTo(200);
        return scrape.body();
    }

    /** The value of one series in a scrape, by its name and labels as Prometheus prints them. */
    private static double sample(String scrape, String series) {
        return scrape.lines()
                .filter(line -> line.startsWith(series + " "))
                .map(line ->
                        Double.parseDouble(line.substring(series.length() + 1).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no series " + series + " in the scrape"));
    }

    /**
     * A detector posts a shell; the action waits for a person; a responder approves it over the API;
     * the scheduled runner applies it; the responder rolls it back; the pod is as before and the
     * audit chain intact — the path, through the service as deployed.
     */
    @Test
    void overTheApiADetectionIsApprovedAppliedAndRolledBack() {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("shell")
                        .endMetadata()
                        .build())
                .create();
        ClusterFixtures.runningPod(admin, "shell", "web-2", "10.0.1.12", Map.of("app", "web"));
        Map<String, String> labelsBefore = podLabels("web-2");

        assertThat(send(null, "POST", "/api/v1/detections", shellEvent("web-2")).statusCode())
                .isEqualTo(401);
        HttpResponse<String> posted = send("falco", "POST", "/api/v1/detections", shellEvent("web-2"));
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
        JsonNode action = JSON.readTree(posted.body()).get("action");
        assertThat(action.get("status").asString()).isEqualTo("pending-approval");
        String id = action.get("id").asString();

        assertThat(send("falco", "POST", "/api/v1/actions/" + id + "/approve", reason("no"))
                        .statusCode())
                .isEqualTo(403);
        HttpResponse<String> approved = send("alice", "POST", "/api/v1/actions/" + id + "/approve", reason("seen it"));
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);

        await("the runner applies " + id, () -> "applied".equals(status(id)));
        assertThat(podLabels("web-2")).containsKey(StanchLabels.QUARANTINE);

        HttpResponse<String> rolledBack =
                send("alice", "POST", "/api/v1/actions/" + id + "/rollback", reason("false alarm"));
        assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
        await("the runner rolls " + id + " back", () -> "rolled-back".equals(status(id)));
        assertThat(podLabels("web-2")).isEqualTo(labelsBefore);

        JsonNode detail = JSON.readTree(
                send("alice", "GET", "/api/v1/actions/" + id, null).body());
        assertThat(detail.findValuesAsString("actor")).contains("stanch:playbooks", "alice", "stanch:executor");
        JsonNode verified =
                JSON.readTree(send("alice", "GET", "/api/v1/audit/verify", null).body());
        assertThat(verified.get("intact").asBoolean()).isTrue();
    }

    private Map<String, String> podLabels(String pod) {
        return admin.pods()
                .inNamespace("shell")
                .withName(pod)
                .get()
                .getMetadata()
                .getLabels();
    }

    private String status(String id) {
        return JSON.readTree(send("alice", "GET", "/api/v1/actions/" + id, null).body())
                .get("action")
                .get("status")
                .asString();
    }

    private HttpResponse<String> send(@Nullable String user, String method, String path, @Nullable String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (user != null) {
            String credentials = user + ":" + PASSWORD;
            request.header(
                    "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String reason(String reason) {
        return "{\"reason\":\"" + reason + "\"}";
    }

    private static String shellEvent(String pod) {
        return """
                {"output":"shell","priority":"Notice","rule":"Terminal shell in container","time":"%s",\
                "source":"syscalls","output_fields":{"k8s.ns.name":"shell","k8s.pod.name":"%s","proc.name":"sh"}}
                """.formatted(Instant.now(), pod);
    }

    @Test
    void changedPlaybooksArePickedUpAndABrokenChangeIsRefused() throws IOException {
        Path extra = playbooks.resolve("shell.yaml");
        Files.writeString(extra, playbook("shell", "approval: required"));
        await("the new playbook is loaded", () -> catalog.current().playbooks().size() == 3);

        Files.writeString(extra, playbook("shell", "approval: sometimes"));
        await("the broken change is refused", () -> catalog.lastRefused().isPresent());
        assertThat(catalog.current().playbooks()).hasSize(3);
        assertThat(catalog.lastRefused().orElseThrow().problems())
                .anySatisfy(problem -> assertThat(problem.file()).endsWith("shell.yaml"));

        Files.delete(extra);
        await("the removal is picked up", () -> catalog.current().playbooks().size() == 2);
        assertThat(catalog.lastRefused()).isEmpty();
    }

    private static String playbook(String name, String approval) {
        return """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: %s
                spec:
                  match:
                    sources: [falco]
                    rules: ["Outbound Connection to C2 Servers"]
                  window: 30m
                  stages:
                    - name: cut
                      after: 1
                      action: block-connection
                      %s
                      expireAfter: 1h
                """.formatted(name, approval);
    }

    private static Detection c2Detection(String pod, String ip) {
        return c2Detection("shop", pod, ip);
    }

    private static Detection c2Detection(String namespace, String pod, String ip) {
        String event = """
                {"output":"c2","priority":"Warning","rule":"Outbound Connection to C2 Servers",\
                "time":"%s","source":"syscalls","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"%s",\
                "evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp","fd.name":"%s:41234->203.0.113.7:443",\
                "fd.lip":"%s","fd.lport":41234,"fd.rip":"203.0.113.7","fd.rport":443}}
                """.formatted(Instant.now(), namespace, pod, ip, ip);
        Normalization normalization = new DetectionNormalizer().normalize(event);
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection();
    }

    /** Waits for something the service does on its own schedule; the patience is no claim about speed. */
    private static void await(String what, BooleanSupplier done) {
        Await.until(PATIENCE, what, done);
    }
}
