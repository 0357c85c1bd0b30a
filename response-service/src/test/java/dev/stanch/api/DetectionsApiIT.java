package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.ledger.Ledger;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** The HTTP intake: real detector events in, the ledger's actions out. */
class DetectionsApiIT extends ApiHarness {

    @Autowired
    KubernetesMockServer mockServer;

    @Autowired
    Ledger ledger;

    static final Path CORPUS = Path.of(System.getProperty("stanch.corpus", "../../shared/corpus"));

    @Test
    void aFalcosidekickWebhookPostBecomesAPendingActionWhoseLocationReadsIt() {
        pod("intake", "web-1", "10.10.0.11");
        String event = terminalShell(
                "6f0a1d7e-2b4c-4c86-9d43-0e8b3c1a5f21", "intake", "web-1", "2026-11-22T10:00:00.123456789Z");

        Response posted = send(
                "detector",
                "POST",
                "/api/v1/detections",
                event,
                "application/json; charset=utf-8",
                "User-Agent",
                "Falcosidekick");

        assertThat(posted.status()).as(posted.toString()).isEqualTo(201);
        JsonNode body = posted.json();
        assertThat(body.path("outcome").asString()).isEqualTo("acted");
        assertThat(body.path("detectionId").asString()).isEqualTo("6f0a1d7e-2b4c-4c86-9d43-0e8b3c1a5f21");
        assertThat(body.path("action").path("status").asString()).isEqualTo("pending-approval");
        assertThat(body.path("action").path("kind").asString()).isEqualTo("quarantine-pod");
        assertThat(body.path("admit").path("decision").asString()).isEqualTo("pending-approval");
        String id = body.path("action").path("id").asString();
        assertThat(posted.header("Location")).isEqualTo("/api/v1/actions/" + id);

        Response read = get("viewer", posted.header("Location"));
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        assertThat(read.json().path("detection").path("id").asString())
                .isEqualTo("6f0a1d7e-2b4c-4c86-9d43-0e8b3c1a5f21");
        assertThat(read.json().path("detection").path("fields").path("hostname").asString())
                .isEqualTo("worker-1");

        Response again = send("detector", "POST", "/api/v1/detections", event, "application/json");
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json().path("outcome").asString()).isEqualTo("duplicate");
    }

    /**
     * Every event of the shared corpus gets the answer its normalization calls for: 400 exactly when
     * the normalizer rejects it, 202 when it ignores it, otherwise the intake's 201 or 200.
     */
    @Test
    void everyCorpusEventIsAnsweredAsItsNormalizationSays() throws IOException {
        DetectionNormalizer normalizer = new DetectionNormalizer();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(CORPUS)) {
            files = walk.filter(f -> f.toString().endsWith(".json"))
                    .filter(f -> !f.toString().contains("netpol-analyzer"))
                    .sorted()
                    .toList();
        }
        assertThat(files).hasSizeGreaterThan(40);
        int acted = 0;
        for (Path file : files) {
            String event = Files.readString(file);
            Normalization expected = normalizer.normalize(event);
            Response response = send("detector", "POST", "/api/v1/detections", event, "application/json");
            switch (expected) {
                case Normalization.Rejected rejected -> {
                    assertThat(response.status()).as(file + ": " + response).isEqualTo(400);
                    assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
                    assertThat(response.json().path("code").asString()).isEqualTo("detection-rejected");
                    assertThat(response.json().path("detail").asString()).endsWith(rejected.reason());
                }
                case Normalization.Ignored ignored -> {
                    assertThat(response.status()).as(file + ": " + response).isEqualTo(202);
                    assertThat(response.json().path("reason").asString()).isEqualTo(ignored.reason());
                }
                case Normalization.Normalized normalized -> {
                    assertThat(response.status()).as(file + ": " + response).isIn(200, 201);
                    assertThat(response.json().path("detectionId").asString())
                            .isEqualTo(normalized.detection().id());
                    if (response.status() == 201) {
                        acted++;
                    }
                }
            }
        }
        assertThat(acted).as("corpus events that a shipped playbook acts on").isPositive();
    }

    @Test
    void aClusterThatRefusesStanchIsA500WithoutRetryAfterAndNothingIsStored() {
        pod("unreadable", "web-1", "10.10.1.11");
        // Stanch's role lacks a permission there: posting again cannot help (a transient failure
        // would be a 503 with Retry-After, ApiExceptionHandlerTest).
        mockServer
                .expect()
                .get()
                .withPath("/apis/apps/v1/namespaces/unreadable/replicasets")
                .andReturn(403, "{\"kind\":\"Status\",\"message\":\"replicasets is forbidden\"}")
                .always();
        String id = UUID.randomUUID().toString();

        Response refused = post(
                "detector",
                "/api/v1/detections",
                terminalShell(id, "unreadable", "web-1", Instant.now().toString()));

        assertThat(refused.status()).as(refused.toString()).isEqualTo(500);
        assertThat(refused.header("Retry-After")).isNull();
        assertThat(refused.json().path("code").asString()).isEqualTo("cluster-refused");
        assertThat(refused.json().path("reason").asString()).isEqualTo("forbidden");
        assertThat(ledger.detection(id))
                .as("nothing stored: a redelivery plans again")
                .isEmpty();
        assertThat(get("viewer", "/api/v1/actions?namespace=unreadable")
                        .json()
                        .path("actions")
                        .size())
                .isZero();
    }

    @Test
    void aRejectedEventIsA400ThatNamesTheField() {
        Response response = post("detector", "/api/v1/detections", """
                {"rule": "Terminal shell in container", "priority": "Notice", "time": "2026-11-22T10:00:00Z",
                 "output_fields": {"k8s.ns.name": "Not A Namespace", "k8s.pod.name": "web-1"}}""");

        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.json().path("detail").asString()).contains("k8s.ns.name");
    }
}
