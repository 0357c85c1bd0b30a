package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.Ledger;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The pause switch over HTTP: a pause blocks the next detection's action (rule paused) until resumed. */
class ControlApiIT extends ApiHarness {

    @Autowired
    Ledger ledger;

    @AfterEach
    void resume() {
        ledger.resume("control-test", "leave Stanch running for the other tests");
    }

    @Test
    void aPauseBlocksTheNextDetectionUntilResumed() {
        pod("control", "web-1", "10.60.0.1");
        pod("control", "web-2", "10.60.0.2");
        assertThat(get("viewer", "/api/v1/control/status").json().path("paused").asBoolean())
                .isFalse();

        Response paused = post("admin", "/api/v1/control/pause", reason("a playbook misfires; investigating"));
        assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
        assertThat(paused.json().path("paused").asBoolean()).isTrue();
        assertThat(paused.json().path("changed").asBoolean()).isTrue();
        assertThat(paused.json().path("pause").path("by").asString()).isEqualTo("admin");
        assertThat(post("admin", "/api/v1/control/pause", reason("again"))
                        .json()
                        .path("changed")
                        .asBoolean())
                .isFalse();

        Response blocked = post(
                "detector",
                "/api/v1/detections",
                terminalShell(
                        UUID.randomUUID().toString(),
                        "control",
                        "web-1",
                        Instant.now().toString()));
        assertThat(blocked.status()).as(blocked.toString()).isEqualTo(201);
        assertThat(blocked.json().path("action").path("status").asString()).isEqualTo("blocked");
        assertThat(blocked.json().path("admit").path("rule").asString()).isEqualTo("paused");
        assertThat(blocked.json().path("admit").path("reason").asString())
                .startsWith("paused by admin at ")
                .endsWith(": a playbook misfires; investigating");

        Response resumed = post("admin", "/api/v1/control/resume", reason("playbook fixed"));
        assertThat(resumed.json().path("paused").asBoolean()).isFalse();
        assertThat(resumed.json().path("changed").asBoolean()).isTrue();
        assertThat(resumed.json().path("log").get(0).path("action").asString()).isEqualTo("resume");
        assertThat(resumed.json().path("log").get(0).path("actor").asString()).isEqualTo("admin");
        assertThat(resumed.json().path("log").get(1).path("action").asString()).isEqualTo("pause");

        Response admitted = post(
                "detector",
                "/api/v1/detections",
                terminalShell(
                        UUID.randomUUID().toString(),
                        "control",
                        "web-2",
                        Instant.now().toString()));
        assertThat(admitted.json().path("action").path("status").asString()).isEqualTo("pending-approval");
        assertThat(post("admin", "/api/v1/control/resume", reason("again"))
                        .json()
                        .path("changed")
                        .asBoolean())
                .isFalse();
    }

    @Test
    void pausingNeedsAReason() {
        Response response = post("admin", "/api/v1/control/pause", "{}");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("field").asString()).isEqualTo("reason");
        assertThat(get("viewer", "/api/v1/control/status").json().path("paused").asBoolean())
                .isFalse();
    }
}
