package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.Ledger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Who may call what, from one table: every endpoint with the roles that may call it. Each allowed
 * (role, endpoint) pair must get past security (neither 401 nor 403), each other pair must get 403,
 * and a request without credentials 401. An endpoint the application serves but the table lacks
 * fails the test: adding an endpoint means deciding its roles here.
 */
class SecurityMatrixIT extends ApiHarness {

    private static final Set<String> VIEWERS = Set.of("viewer", "responder", "admin");
    private static final Set<String> RESPONDERS = Set.of("responder", "admin");
    private static final Set<String> ADMINS = Set.of("admin");
    private static final Set<String> DETECTORS = Set.of("detector", "admin");

    private static final List<String> ROLES = List.of("viewer", "responder", "admin", "detector");

    private static final String ID = UUID.randomUUID().toString();
    private static final String REASON = "{\"reason\": \"matrix\"}";

    /**
     * One endpoint.
     *
     * @param pattern as the application maps it
     * @param path a concrete path to call
     */
    record Endpoint(String method, String pattern, String path, String body, String contentType, Set<String> allowed) {

        @Override
        public String toString() {
            return method + " " + pattern;
        }
    }

    static final List<Endpoint> TABLE = List.of(
            new Endpoint("GET", "/api/v1/actions", "/api/v1/actions", null, null, VIEWERS),
            new Endpoint("GET", "/api/v1/actions/{id}", "/api/v1/actions/" + ID, null, null, VIEWERS),
            new Endpoint(
                    "POST",
                    "/api/v1/actions/{id}/approve",
                    "/api/v1/actions/" + ID + "/approve",
                    REASON,
                    "application/json",
                    RESPONDERS),
            new Endpoint(
                    "POST",
                    "/api/v1/actions/{id}/reject",
                    "/api/v1/actions/" + ID + "/reject",
                    REASON,
                    "application/json",
                    RESPONDERS),
            new Endpoint(
                    "POST",
                    "/api/v1/actions/{id}/rollback",
                    "/api/v1/actions/" + ID + "/rollback",
                    REASON,
                    "application/json",
                    RESPONDERS),
            new Endpoint("POST", "/api/v1/detections", "/api/v1/detections", "{}", "application/json", DETECTORS),
            new Endpoint("POST", "/api/v1/simulations", "/api/v1/simulations", "[]", "application/json", VIEWERS),
            new Endpoint("GET", "/api/v1/playbooks", "/api/v1/playbooks", null, null, VIEWERS),
            new Endpoint(
                    "POST",
                    "/api/v1/playbooks/validate",
                    "/api/v1/playbooks/validate",
                    "kind: Playbook\n",
                    "application/yaml",
                    ADMINS),
            new Endpoint("POST", "/api/v1/playbooks/reload", "/api/v1/playbooks/reload", null, null, ADMINS),
            new Endpoint("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", null, null, VIEWERS),
            new Endpoint("GET", "/api/v1/control/status", "/api/v1/control/status", null, null, VIEWERS),
            new Endpoint("POST", "/api/v1/control/pause", "/api/v1/control/pause", REASON, "application/json", ADMINS),
            new Endpoint(
                    "POST", "/api/v1/control/resume", "/api/v1/control/resume", REASON, "application/json", ADMINS));

    private static Ledger pausedLedger;

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Autowired
    Ledger ledger;

    @Test
    void theTableHasEveryEndpointTheApplicationServes() {
        Set<String> served = new TreeSet<>();
        mappings.getHandlerMethods().forEach((info, handler) -> {
            if (handler.getBeanType().getPackageName().equals(ApiRole.class.getPackageName())
                    && handler.getBeanType() != ProblemErrorController.class) {
                for (var method : info.getMethodsCondition().getMethods()) {
                    for (String pattern : info.getPatternValues()) {
                        served.add(method + " " + pattern);
                    }
                }
            }
        });
        Set<String> tabled = new TreeSet<>();
        TABLE.forEach(endpoint -> tabled.add(endpoint.toString()));
        assertThat(tabled).as("endpoints in SecurityMatrixIT.TABLE").isEqualTo(served);
    }

    @TestFactory
    Stream<DynamicTest> everyRoleOnEveryEndpoint() {
        pausedLedger = ledger;
        List<DynamicTest> tests = new ArrayList<>();
        for (Endpoint endpoint : TABLE) {
            tests.add(DynamicTest.dynamicTest(endpoint + " without credentials: 401", () -> {
                Response response =
                        send(null, endpoint.method(), endpoint.path(), endpoint.body(), endpoint.contentType());
                assertThat(response.status()).as(response.toString()).isEqualTo(401);
                assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
                assertThat(response.header("WWW-Authenticate")).startsWith("Basic");
                assertThat(response.json().path("code").asString()).isEqualTo("unauthenticated");
            }));
            for (String role : ROLES) {
                boolean allowed = endpoint.allowed().contains(role);
                tests.add(DynamicTest.dynamicTest(endpoint + " as " + role + (allowed ? ": allowed" : ": 403"), () -> {
                    Response response =
                            send(role, endpoint.method(), endpoint.path(), endpoint.body(), endpoint.contentType());
                    if (allowed) {
                        assertThat(response.status()).as(response.toString()).isNotIn(401, 403);
                    } else {
                        assertThat(response.status()).as(response.toString()).isEqualTo(403);
                        assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
                        assertThat(response.json().path("code").asString()).isEqualTo("forbidden");
                        assertThat(response.json().path("detail").asString())
                                .isEqualTo(role + " has no role that may " + endpoint.method() + " " + endpoint.path()
                                        + " (docs/api.md lists the roles of each endpoint)");
                    }
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void aWrongPasswordIs401() {
        Response response = send(
                null,
                "GET",
                "/api/v1/actions",
                null,
                null,
                "Authorization",
                "Basic " + java.util.Base64.getEncoder().encodeToString("viewer:wrong".getBytes()));
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("detail").asString()).isEqualTo("wrong user name or password");
    }

    @Test
    void healthIsOpenAndTheApiDocumentNeedsAViewer() {
        assertThat(get(null, "/actuator/health").status()).isEqualTo(200);
        assertThat(get(null, "/v3/api-docs").status()).isEqualTo(401);
        assertThat(get("detector", "/v3/api-docs").status()).isEqualTo(403);
        assertThat(get("viewer", "/v3/api-docs").status()).isEqualTo(200);
        assertThat(get("viewer", "/swagger-ui.html").status()).isIn(200, 302);
    }

    @Test
    void noSessionIsCreated() {
        Response response = get("viewer", "/api/v1/actions");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Set-Cookie")).isNull();
    }

    /** The matrix pauses Stanch as admin, then resumes it: make sure it is left resumed. */
    @AfterAll
    static void resume() {
        if (pausedLedger != null) {
            pausedLedger.resume("matrix", "the security matrix is done");
        }
    }
}
