package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.Await;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.kubernetes.ClusterFixtures;
import dev.stanch.kubernetes.Kubeconfigs;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.AuditEntry;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.workflow.Intake;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
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

/**
 * The runner woken by this instance's moves, in the service as deployed (the whole context on the
 * embedded PostgreSQL and fabric8's mock API): with {@code stanch.runner.interval} at an hour, after
 * the look on start nothing but a wake-up makes the runner run — so an action applied here was
 * applied because its approval woke the runner. And four workers with a small batch, many approved
 * actions arriving at once: each action's audit trail shows it applied exactly once.
 */
@ExtendWith(LedgerPostgresExtension.class)
// Closed after this class: its workers must not outlive the database and cluster it was given.
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "stanch.runner.interval=1h",
            "stanch.runner.workers=4",
            // Small, so that a burst fills batches and draws in every worker.
            "stanch.runner.batch=3",
            "stanch.playbooks.reload-interval=0s",
            "stanch.guardrails.protected-namespaces=kube-system",
            "stanch.guardrails.actions-per-minute=1000",
            "stanch.guardrails.actions-per-minute-per-namespace=1000",
            "stanch.guardrails.max-active-actions=1000",
        })
class RunnerWakeUpIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static final String PASSWORD = "correct horse battery staple";

    /** More than the workers' batches together, arriving from several threads at once. */
    private static final int BURST = 40;

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

    @LocalServerPort
    int port;

    @BeforeAll
    static void startDependencies(LedgerPostgres postgres, @TempDir Path dir) throws IOException {
        databaseUrl = postgres.newEmptyDatabase();
        kubernetes = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        admin = kubernetes.createClient();
        kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), admin.getConfiguration());
        Files.writeString(playbooks.resolve("c2.yaml"), """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: outbound-c2
                spec:
                  match:
                    sources: [falco]
                    rules: ["Outbound Connection to C2 Servers"]
                  window: 30m
                  stages:
                    - name: cut
                      after: 1
                      action: block-connection
                      approval: auto
                      expireAfter: 1h
                """);
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
        // Cost 4 only to keep the test quick.
        String hash = new BCryptPasswordEncoder(4).encode(PASSWORD);
        registry.add("stanch.security.users[0].name", () -> "alice");
        registry.add("stanch.security.users[0].roles", () -> "responder");
        registry.add("stanch.security.users[0].password-hash", () -> hash);
    }

    @AfterAll
    static void stopKubernetes() {
        admin.close();
        kubernetes.destroy();
    }

    @Test
    void anAutoApprovedActionIsAppliedWithoutWaitingForTheInterval() {
        namespace("auto");
        ClusterFixtures.runningPod(admin, "auto", "web-1", "10.1.0.11", Map.of("app", "web"));

        Action action = acted(intake.accept(c2Detection("auto", "web-1", "10.1.0.11")));

        assertThat(action.status()).isEqualTo(ActionStatus.APPROVED);
        await("the woken runner applies " + action.id(), () -> status(action.id()) == ActionStatus.APPLIED);
        assertThat(admin.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace("auto")
                        .list()
                        .getItems())
                .singleElement();
    }

    /** A person's approval and a person's rollback, both over the API, each wake the runner. */
    @Test
    void approvedAndRolledBackOverRestWithoutWaitingForTheInterval() {
        namespace("shell");
        ClusterFixtures.runningPod(admin, "shell", "web-2", "10.1.0.12", Map.of("app", "web"));
        Action action = acted(intake.accept(shellDetection("shell", "web-2")));
        assertThat(action.status()).isEqualTo(ActionStatus.PENDING_APPROVAL);

        HttpResponse<String> approved = post("/api/v1/actions/" + action.id() + "/approve", "seen it");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        await("the woken runner applies " + action.id(), () -> status(action.id()) == ActionStatus.APPLIED);

        HttpResponse<String> rolledBack = post("/api/v1/actions/" + action.id() + "/rollback", "false alarm");
        assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
        await("the woken runner rolls " + action.id() + " back", () -> status(action.id()) == ActionStatus.ROLLED_BACK);
    }

    @Test
    void manyApprovedActionsOnFourWorkersAreEachAppliedExactlyOnce() throws Exception {
        namespace("burst");
        for (int i = 0; i < BURST; i++) {
            ClusterFixtures.runningPod(admin, "burst", "web-" + i, "10.2.0." + (i + 10), Map.of("app", "web"));
        }

        List<Action> actions = new ArrayList<>();
        try (ExecutorService detectors = Executors.newFixedThreadPool(4)) {
            List<Future<Intake.Result>> results = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                Detection detection = c2Detection("burst", "web-" + i, "10.2.0." + (i + 10));
                results.add(detectors.submit(() -> intake.accept(detection)));
            }
            for (Future<Intake.Result> result : results) {
                actions.add(acted(result.get()));
            }
        }
        assertThat(actions).extracting(Action::status).containsOnly(ActionStatus.APPROVED);

        await(
                "the woken workers apply all " + BURST,
                () -> actions.stream().allMatch(action -> status(action.id()) == ActionStatus.APPLIED));
        for (Action action : actions) {
            List<AuditEntry> trail = ledger.find(action.id()).orElseThrow().trail();
            assertThat(trail)
                    .as("the trail of " + action.id())
                    .filteredOn(entry -> entry.to() == ActionStatus.APPLYING)
                    .singleElement()
                    .satisfies(entry -> assertThat(entry.from()).isEqualTo(ActionStatus.APPROVED));
            assertThat(trail)
                    .as("the trail of " + action.id())
                    .filteredOn(entry -> entry.to() == ActionStatus.APPLIED)
                    .singleElement()
                    .satisfies(entry -> assertThat(entry.from()).isEqualTo(ActionStatus.APPLYING));
        }
        assertThat(admin.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace("burst")
                        .list()
                        .getItems())
                .hasSize(BURST);
        assertThat(ledger.verify().intact()).isTrue();
    }

    private ActionStatus status(UUID id) {
        return ledger.action(id).status();
    }

    private static Action acted(Intake.Result result) {
        assertThat(result).isInstanceOf(Intake.Result.Acted.class);
        return ((Intake.Result.Acted) result).action();
    }

    private static void namespace(String name) {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build())
                .create();
    }

    private HttpResponse<String> post(String path, String reason) {
        String credentials = "alice:" + PASSWORD;
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"" + reason + "\"}"))
                .header("Content-Type", "application/json")
                .header(
                        "Authorization",
                        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
                .build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Detection c2Detection(String namespace, String pod, String ip) {
        return normalized("""
                {"output":"c2","priority":"Warning","rule":"Outbound Connection to C2 Servers",\
                "time":"%s","source":"syscalls","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"%s",\
                "evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp","fd.name":"%s:41234->203.0.113.7:443",\
                "fd.lip":"%s","fd.lport":41234,"fd.rip":"203.0.113.7","fd.rport":443}}
                """.formatted(Instant.now(), namespace, pod, ip, ip));
    }

    private static Detection shellDetection(String namespace, String pod) {
        return normalized("""
                {"output":"shell","priority":"Notice","rule":"Terminal shell in container","time":"%s",\
                "source":"syscalls","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"%s","proc.name":"sh"}}
                """.formatted(Instant.now(), namespace, pod));
    }

    private static Detection normalized(String event) {
        Normalization normalization = new DetectionNormalizer().normalize(event);
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection();
    }

    /** Waits for what the woken runner does; the patience is no claim about speed. */
    private static void await(String what, BooleanSupplier done) {
        Await.until(PATIENCE, what, done);
    }
}
