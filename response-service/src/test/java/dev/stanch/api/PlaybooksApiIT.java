package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** The playbooks in force, validation with file, line and field, and reload keeping the last good set. */
class PlaybooksApiIT extends ApiHarness {

    static final String INVALID = """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata:
              name: isolate-miners
            spec:
              match:
                rules: ["Detect crypto miners*"]
              stages:
                - name: isolate
                  after: 1
                  action: quarantine
                  approval: auto
            """;

    static final String VALID = INVALID.replace("action: quarantine", "action: quarantine-pod");

    @Autowired
    ApiTestConfiguration.PlaybookDirectory directory;

    @Test
    void theShippedPlaybooksAreInForce() {
        Response response = get("viewer", "/api/v1/playbooks");

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        response.json().path("playbooks").forEach(p -> names.add(p.path("name").asString()));
        assertThat(names)
                .containsExactly(
                        "k8s-api-from-container",
                        "outbound-c2",
                        "reverse-shell",
                        "serviceaccount-token-read",
                        "terminal-shell");
        JsonNode terminal = response.json().path("playbooks").get(4);
        assertThat(terminal.path("window").asString()).isEqualTo("1h");
        assertThat(terminal.path("stages").get(0).path("action").asString()).isEqualTo("quarantine-pod");
        assertThat(terminal.path("stages").get(0).path("approvalTimeout").asString())
                .isEqualTo("30m");
        assertThat(terminal.path("match").path("sources").toString()).isEqualTo("[\"falco\"]");
    }

    @Test
    void anInvalidPlaybookIsReportedWithFileLineAndField() {
        Response response =
                send("admin", "POST", "/api/v1/playbooks/validate?file=miners.yaml", INVALID, "application/yaml");

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().path("valid").asBoolean()).isFalse();
        JsonNode problem = response.json().path("problems").get(0);
        assertThat(problem.path("file").asString()).isEqualTo("miners.yaml");
        assertThat(problem.path("line").asInt()).isEqualTo(11);
        assertThat(problem.path("field").asString()).isEqualTo("spec.stages[0].action");
        assertThat(problem.path("level").asString()).isEqualTo("error");
        assertThat(problem.path("message").asString()).contains("quarantine");
    }

    @Test
    void aValidPlaybookIsValidInEveryYamlMediaType() {
        for (String type : List.of("application/yaml", "text/yaml", "text/plain; charset=utf-8")) {
            Response response = send("admin", "POST", "/api/v1/playbooks/validate", VALID, type);
            assertThat(response.status()).as(type + ": " + response).isEqualTo(200);
            assertThat(response.json().path("valid").asBoolean()).isTrue();
            assertThat(response.json().path("playbooks").toString()).isEqualTo("[\"isolate-miners\"]");
        }
        assertThat(send("admin", "POST", "/api/v1/playbooks/validate", VALID, "application/json")
                        .status())
                .isEqualTo(415);
    }

    @Test
    void aBrokenDirectoryIsRefusedAndTheLastGoodSetStays() throws IOException {
        Path broken = directory.path().resolve("zz-broken.yaml");
        Files.writeString(broken, INVALID);
        try {
            Response refused = post("admin", "/api/v1/playbooks/reload", null);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(200);
            assertThat(refused.json().path("reloaded").asBoolean()).isFalse();
            assertThat(refused.json().path("playbooks").asInt()).isEqualTo(5);
            assertThat(refused.json().path("problems").get(0).path("file").asString())
                    .isEqualTo(broken.toString());
            JsonNode listed = get("viewer", "/api/v1/playbooks").json();
            assertThat(listed.path("playbooks").size()).isEqualTo(5);
            assertThat(listed.path("lastRefused")
                            .path("problems")
                            .get(0)
                            .path("field")
                            .asString())
                    .isEqualTo("spec.stages[0].action");

            Files.writeString(broken, VALID);
            Response reloaded = post("admin", "/api/v1/playbooks/reload", null);
            assertThat(reloaded.json().path("reloaded").asBoolean()).isTrue();
            assertThat(reloaded.json().path("playbooks").asInt()).isEqualTo(6);
            assertThat(get("viewer", "/api/v1/playbooks")
                            .json()
                            .path("lastRefused")
                            .isNull())
                    .isTrue();
        } finally {
            Files.deleteIfExists(broken);
            post("admin", "/api/v1/playbooks/reload", null);
        }
    }
}
