package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The error model: every error an RFC 9457 problem detail that names what is wrong; never a 500 for bad input. */
class ErrorsApiIT extends ApiHarness {

    @Test
    void anUnknownPathIs404() {
        Response response = get("viewer", "/api/v1/nothing-here");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(response.json().path("type").asString()).isEqualTo("tag:stanch.dev,2026:problem:not-found");
        assertThat(response.json().path("detail").asString()).isEqualTo("no such endpoint: GET /api/v1/nothing-here");
        assertThat(response.json().path("instance").asString()).isEqualTo("/api/v1/nothing-here");
    }

    /** Refused before any controller (Spring Security's firewall): the container's error page is a problem too. */
    @Test
    void aRequestTheFirewallRefusesIsAProblemToo() {
        Response response = get("viewer", "/api/v1/actions/%2e%2e/control/status");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(response.json().path("code").asString()).isEqualTo("invalid-request");
        assertThat(response.json().path("detail").asString()).startsWith("Bad Request");
    }

    @Test
    void aMethodTheEndpointLacksIs405WithTheAllowedOnes() {
        Response response = send("admin", "DELETE", "/api/v1/actions", null, null);
        assertThat(response.status()).isEqualTo(405);
        assertThat(response.header("Allow")).isEqualTo("GET");
        assertThat(response.json().path("detail").asString())
                .isEqualTo("method DELETE is not supported on /api/v1/actions; allowed: GET");
    }

    @Test
    void aBodyOfTheWrongMediaTypeIs415WithTheSupportedOnes() {
        Response response =
                send("detector", "POST", "/api/v1/detections", "rule=x", "application/x-www-form-urlencoded");
        assertThat(response.status()).isEqualTo(415);
        assertThat(response.json().path("detail").asString())
                .isEqualTo("Content-Type application/x-www-form-urlencoded is not supported here; send one of:"
                        + " application/json, application/cloudevents+json");
        assertThat(response.json().path("supported").size()).isEqualTo(2);
    }

    @Test
    void aBodyOverTheLimitIs413WhetherItsLengthIsDeclaredOrNot() {
        String big = "{\"rule\": \"" + "x".repeat(1_100_000) + "\"}";

        Response declared = send("detector", "POST", "/api/v1/detections", big, "application/json");
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.json().path("code").asString()).isEqualTo("body-too-large");
        assertThat(declared.json().path("limit").asLong()).isEqualTo(1_048_576L);

        HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/simulations"))
                .header("Content-Type", "application/json")
                .header("Authorization", basic("viewer"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())))
                .build();
        Response streamed = send(chunked);
        assertThat(streamed.status()).as(streamed.toString()).isEqualTo(413);
        assertThat(streamed.json().path("code").asString()).isEqualTo("body-too-large");
    }

    @Test
    void aBinaryModeCloudEventIsReadFromItsHeaders() {
        pod("cloudevents", "web-1", "10.40.0.1");
        String data = terminalShell(
                        "9d1c3b2a-1111-4222-8333-444455556666",
                        "cloudevents",
                        "web-1",
                        Instant.now().toString())
                .replace("\"uuid\":\"9d1c3b2a-1111-4222-8333-444455556666\",", "");
        String id = UUID.randomUUID().toString();

        Response response = send(
                "detector",
                "POST",
                "/api/v1/detections",
                data,
                "application/json",
                "ce-specversion",
                "1.0",
                "ce-id",
                id,
                "ce-source",
                "falcosidekick",
                "ce-type",
                "falco.rule.output.v1");

        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        assertThat(response.json().path("detectionId").asString()).isEqualTo(id);
    }
}
