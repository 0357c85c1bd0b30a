package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.Ledger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The examples in docs/api.md are real: each is a request this test makes and the answer it gets,
 * on a context of its own (a fresh ledger and cluster). Ids, times, hashes and cursors change from
 * run to run, so the comparison masks them; everything else must match. Regenerate with {@code
 * -Dstanch.write-docs=true}.
 */
@TestPropertySource(properties = "stanch.test.context=api-examples")
class ApiExamplesIT extends ApiHarness {

    static final Path DOC = Path.of(System.getProperty("stanch.repo", "..")).resolve("docs/api.md");

    private static final String DETECTION_ID = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b";

    @Autowired
    Ledger ledger;

    private final Map<String, String> examples = new LinkedHashMap<>();

    @Test
    void theExamplesInTheDocsAreWhatTheServiceAnswers() throws IOException {
        pod("shop", "web-1", "10.0.0.11");
        pod("shop", "web-2", "10.0.0.12");

        String falcosidekick = terminalShell(DETECTION_ID, "shop", "web-1", "2026-11-22T10:00:00.123456789Z");
        Response posted =
                capture("post-detection", "detector", "POST", "/api/v1/detections", falcosidekick, "application/json");
        String id = posted.json().path("action").path("id").asString();
        capture(
                "post-detection-duplicate",
                "detector",
                "POST",
                "/api/v1/detections",
                falcosidekick,
                "application/json");
        capture(
                "post-detection-rejected",
                "detector",
                "POST",
                "/api/v1/detections",
                "{\"rule\": \"Terminal shell in container\", \"priority\": \"Notice\", \"output_fields\":"
                        + " {\"k8s.ns.name\": \"shop\"}}",
                "application/json");
        String second = post(
                        "detector",
                        "/api/v1/detections",
                        terminalShell("5a1f3e0c-7d2b-4e8a-9c6f-0b1d2e3f4a5b", "shop", "web-2", "2026-11-22T10:05:00Z"))
                .json()
                .path("action")
                .path("id")
                .asString();

        capture(
                "list-actions",
                "viewer",
                "GET",
                "/api/v1/actions?namespace=shop&status=pending-approval&limit=1",
                null,
                null);
        capture("get-action", "viewer", "GET", "/api/v1/actions/" + id, null, null);
        capture(
                "approve",
                "alice",
                "POST",
                "/api/v1/actions/" + id + "/approve",
                reason("the shell is not ours: isolate it"),
                "application/json");
        capture(
                "reject",
                "bob",
                "POST",
                "/api/v1/actions/" + second + "/reject",
                reason("on-call debugging with kubectl exec"),
                "application/json");
        capture(
                "conflict",
                "bob",
                "POST",
                "/api/v1/actions/" + second + "/approve",
                reason("changed my mind"),
                "application/json");
        // What the runner would do next: apply the approved action.
        UUID action = UUID.fromString(id);
        ApiHarness.applyAsTheRunnerWould(ledger, action);
        capture(
                "rollback",
                "bob",
                "POST",
                "/api/v1/actions/" + id + "/rollback",
                reason("false positive: a pentest"),
                "application/json");

        capture(
                "simulate",
                "viewer",
                "POST",
                "/api/v1/simulations",
                "[" + terminalShell("0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", "shop", "web-2", "2026-11-22T10:10:00Z")
                        + "]",
                "application/json");
        capture("list-playbooks", "viewer", "GET", "/api/v1/playbooks", null, null);
        capture(
                "validate",
                "admin",
                "POST",
                "/api/v1/playbooks/validate?file=miners.yaml",
                PlaybooksApiIT.INVALID,
                "application/yaml");
        capture("reload", "admin", "POST", "/api/v1/playbooks/reload", null, null);
        capture("verify", "viewer", "GET", "/api/v1/audit/verify", null, null);
        capture(
                "pause",
                "admin",
                "POST",
                "/api/v1/control/pause",
                reason("a playbook misfires; investigating"),
                "application/json");
        capture("status", "viewer", "GET", "/api/v1/control/status", null, null);
        capture("resume", "admin", "POST", "/api/v1/control/resume", reason("playbook fixed"), "application/json");

        capture("unauthenticated", null, "GET", "/api/v1/actions", null, null);
        capture("forbidden", "viewer", "POST", "/api/v1/control/pause", reason("let me"), "application/json");
        capture("not-found", "viewer", "GET", "/api/v1/actions/" + UUID.randomUUID(), null, null);
        capture("bad-parameter", "viewer", "GET", "/api/v1/actions?status=pending", null, null);
        capture(
                "missing-reason",
                "alice",
                "POST",
                "/api/v1/actions/" + UUID.randomUUID() + "/reject",
                "{}",
                "application/json");

        check();
    }

    private Response capture(
            String name,
            @Nullable String user,
            String method,
            String path,
            @Nullable String body,
            @Nullable String type) {
        Response response = send(user, method, path, body, type);
        StringBuilder text = new StringBuilder();
        text.append(method).append(' ').append(path).append(" HTTP/1.1\n");
        if (user != null) {
            text.append("Authorization: Basic <").append(user).append("'s credentials>\n");
        }
        if (type != null) {
            text.append("Content-Type: ").append(type).append('\n');
        }
        if (body != null) {
            text.append('\n').append(pretty(body, type)).append('\n');
        }
        text.append("\nHTTP/1.1 ").append(response.status()).append('\n');
        for (String header : List.of("Location", "Retry-After", "WWW-Authenticate", "Content-Type")) {
            for (String value : response.raw().headers().allValues(header)) {
                text.append(header).append(": ").append(value).append('\n');
            }
        }
        if (!response.body().isEmpty()) {
            text.append('\n')
                    .append(pretty(response.body(), "application/json"))
                    .append('\n');
        }
        examples.put(name, text.toString());
        return response;
    }

    private static String pretty(String body, @Nullable String type) {
        if (type == null || !type.contains("json")) {
            return body.strip();
        }
        JsonNode tree = JSON.readTree(body);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
    }

    /** Each example's block in the doc, after {@code <!-- example: name -->}. */
    private void check() throws IOException {
        String doc = Files.readString(DOC);
        List<String> missing = new ArrayList<>();
        for (var example : examples.entrySet()) {
            Pattern block = Pattern.compile(
                    "(<!-- example: " + Pattern.quote(example.getKey()) + " -->\n```http\n)(.*?)(```\n)",
                    Pattern.DOTALL);
            Matcher matcher = block.matcher(doc);
            if (!matcher.find()) {
                missing.add(example.getKey());
                continue;
            }
            if (!masked(matcher.group(2)).equals(masked(example.getValue()))
                    && Boolean.getBoolean("stanch.write-docs")) {
                doc = doc.substring(0, matcher.start(2)) + example.getValue() + doc.substring(matcher.end(2));
                Files.writeString(DOC, doc);
                matcher = block.matcher(doc);
                matcher.find();
            }
            assertThat(masked(matcher.group(2)))
                    .as("example '%s' in %s (regenerate with -Dstanch.write-docs=true)", example.getKey(), DOC)
                    .isEqualTo(masked(example.getValue()));
        }
        assertThat(missing).as("examples without a block in " + DOC).isEmpty();
    }

    /** What changes from run to run: ids, times, hashes, cursors, the playbooks' directory. */
    static String masked(String text) {
        return text.replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>")
                .replaceAll("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z", "<time>")
                .replaceAll("\\b[0-9a-f]{64}\\b", "<sha256>")
                .replaceAll("\"next\" : \"[A-Za-z0-9_-]+\"", "\"next\" : \"<cursor>\"")
                // The tests' playbook directory is a fresh temporary one.
                .replaceAll("[^\"\\s]*stanch-playbooks\\d+", "<playbooks>");
    }
}
