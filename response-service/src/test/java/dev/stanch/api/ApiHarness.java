package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.ledger.Transition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API's tests: the real controllers, security and error handling on a real server (Tomcat on a
 * random port), over a real ledger on the embedded PostgreSQL and Kubernetes through the mock
 * server ({@link ApiTestConfiguration}). Requests go over HTTP with a JDK client, so the container's
 * own behaviour (error pages, body limits) is part of what is tested.
 *
 * <p>Every class that extends it shares one Spring context and so one database: tests keep to
 * namespaces and pods of their own, and whoever pauses Stanch resumes it.
 */
@ExtendWith(LedgerPostgresExtension.class)
@SpringBootTest(
        classes = {ApiTestConfiguration.Application.class, ApiTestConfiguration.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class ApiHarness {

    static final String PASSWORD = "correct horse battery staple";

    /** Cost 4: the lowest bcrypt allows, so that a test's hundreds of requests stay quick. */
    static final String HASH = new BCryptPasswordEncoder(4).encode(PASSWORD);

    /** One local user per role, and two more responders to decide on each other's requests. */
    static final Map<String, String> USERS = users();

    static final JsonMapper JSON = JsonMapper.builder().build();

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    KubernetesClient kubernetes;

    /**
     * What the runner does with an approved action, without the cluster: claims it under a lease,
     * then applying → applied — the ledger lets only a lease holder make those moves.
     */
    static void applyAsTheRunnerWould(Ledger ledger, UUID action) {
        String owner = "api-test-runner";
        Duration lease = Duration.ofMinutes(5);
        assertThat(ledger.claim(owner, EnumSet.of(ActionStatus.APPROVED), lease, 1000))
                .extracting(Action::id)
                .contains(action);
        ledger.transition(Transition.of(
                        action, ActionStatus.APPROVED, ActionStatus.APPLYING, "stanch:executor", "applying the plan")
                .underLease(owner, lease));
        ledger.transition(Transition.of(
                        action, ActionStatus.APPLYING, ActionStatus.APPLIED, "stanch:executor", "applied and verified")
                .underLease(owner, lease));
    }

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        ApiTestConfiguration.POSTGRES.compareAndSet(null, postgres);
    }

    @DynamicPropertySource
    static void localUsers(DynamicPropertyRegistry registry) {
        int i = 0;
        for (var user : USERS.entrySet()) {
            String prefix = "stanch.security.users[" + i++ + "].";
            registry.add(prefix + "name", user::getKey);
            registry.add(prefix + "password-hash", () -> HASH);
            registry.add(prefix + "roles", user::getValue);
        }
    }

    private static Map<String, String> users() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("viewer", "viewer");
        users.put("responder", "responder");
        users.put("admin", "admin");
        users.put("detector", "detector");
        users.put("alice", "responder");
        users.put("bob", "responder");
        return users;
    }

    // ---------------------------------------------------------------------------------------------
    // Requests

    /** One answer: status, headers, body. */
    record Response(int status, HttpResponse<String> raw) {

        String body() {
            return raw.body();
        }

        JsonNode json() {
            return JSON.readTree(raw.body());
        }

        @Nullable
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + raw.body();
        }
    }

    Response get(@Nullable String user, String path) {
        return send(user, "GET", path, null, null);
    }

    Response post(@Nullable String user, String path, @Nullable String body) {
        return send(user, "POST", path, body, "application/json");
    }

    Response send(
            @Nullable String user,
            String method,
            String path,
            @Nullable String body,
            @Nullable String contentType,
            String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (user != null) {
            request.header("Authorization", basic(user));
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    static Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    static String reason(String why) {
        return JSON.writeValueAsString(Map.of("reason", why));
    }

    // ---------------------------------------------------------------------------------------------
    // The cluster

    void namespace(String name) {
        if (kubernetes.namespaces().withName(name).get() == null) {
            kubernetes
                    .namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .endMetadata()
                            .build())
                    .create();
        }
    }

    /** A running pod of a Deployment-less workload, with a service account, as the planners expect. */
    void pod(String namespace, String name, String ip) {
        namespace(namespace);
        kubernetes
                .pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(namespace)
                        .withUid("uid-" + namespace + "-" + name)
                        .withLabels(Map.of("app", name))
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName("default")
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/app")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP(ip)
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .endStatus()
                        .build())
                .create();
    }

    /** A Falco "Terminal shell in container" event for a pod, as Falcosidekick's webhook posts it. */
    static String terminalShell(String uuid, String namespace, String pod, String time) {
        Map<String, Object> outputFields = new LinkedHashMap<>();
        outputFields.put("container.id", "0123456789ab");
        outputFields.put("container.name", "main");
        outputFields.put("evt.time", 1_700_000_000_000_000_000L);
        outputFields.put("k8s.ns.name", namespace);
        outputFields.put("k8s.pod.name", pod);
        outputFields.put("proc.cmdline", "bash");
        outputFields.put("proc.name", "bash");
        outputFields.put("user.name", "root");
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("uuid", uuid);
        event.put(
                "output",
                "10:00:00.000000000: Notice A shell was spawned in a container with an attached terminal (user=root"
                        + " k8s.ns=" + namespace + " k8s.pod=" + pod + " container=main shell=bash)");
        event.put("priority", "Notice");
        event.put("rule", "Terminal shell in container");
        event.put("time", time);
        event.put("output_fields", outputFields);
        event.put("source", "syscall");
        event.put("tags", java.util.List.of("container", "mitre_execution", "shell"));
        event.put("hostname", "worker-1");
        return JSON.writeValueAsString(event);
    }
}
