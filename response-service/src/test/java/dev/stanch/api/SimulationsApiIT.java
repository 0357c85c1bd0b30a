package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Simulations: what Stanch would do, with the ledger's history, and no trace in the ledger or the cluster. */
class SimulationsApiIT extends ApiHarness {

    private static final List<String> TABLES =
            List.of("detections", "detection_matches", "actions", "audit_log", "outbox", "control_log");

    @Autowired
    DataSource dataSource;

    @Test
    void eventsAreDecidedPlannedAndAdmittedInOrderOnTopOfTheLedgersHistoryAndNothingIsWritten() {
        pod("simulation", "web-1", "10.50.0.1");
        // What revoke-token strips: the pod's service account, bound to a role.
        kubernetes
                .serviceAccounts()
                .inNamespace("simulation")
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("default")
                        .endMetadata()
                        .build())
                .create();
        kubernetes
                .rbac()
                .roleBindings()
                .inNamespace("simulation")
                .resource(new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName("web-reads")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("default")
                        .withNamespace("simulation")
                        .endSubject()
                        .build())
                .create();
        Instant now = Instant.now();
        // One real detection first: the simulated events count after it.
        assertThat(post(
                                "detector",
                                "/api/v1/detections",
                                terminalShell(UUID.randomUUID().toString(), "simulation", "web-1", now.toString()))
                        .status())
                .isEqualTo(201);
        Map<String, Long> rowsBefore = rows();
        String clusterBefore = cluster();
        String second = terminalShell(
                UUID.randomUUID().toString(),
                "simulation",
                "web-1",
                now.plusSeconds(1).toString());
        String third = terminalShell(
                UUID.randomUUID().toString(),
                "simulation",
                "web-1",
                now.plusSeconds(2).toString());
        String body = "[" + second + "," + third + "," + third + ", {\"rule\": \"x\"}]";

        Response response = post("viewer", "/api/v1/simulations", body);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode events = response.json().path("events");
        assertThat(events.size()).isEqualTo(4);
        JsonNode two = events.get(0);
        assertThat(two.path("outcome").asString()).isEqualTo("acted");
        assertThat(two.path("decision").path("request").path("occurrence").asLong())
                .isEqualTo(2);
        assertThat(two.path("decision").path("request").path("stage").asString())
                .isEqualTo("ask-to-isolate");
        assertThat(two.path("planning").path("planned").asBoolean()).isTrue();
        assertThat(two.path("planning").path("plan").path("kind").asString()).isEqualTo("quarantine-pod");
        assertThat(two.path("admit").path("decision").asString()).isEqualTo("pending-approval");
        JsonNode three = events.get(1);
        assertThat(three.path("decision").path("request").path("occurrence").asLong())
                .as("the event before it in the request counts")
                .isEqualTo(3);
        assertThat(three.path("decision").path("request").path("stage").asString())
                .isEqualTo("strip-credentials");
        assertThat(three.path("decision").path("request").path("kind").asString())
                .isEqualTo("revoke-token");
        assertThat(three.path("admit").path("decision").asString())
                .as(three.toString())
                .isEqualTo("approved");
        assertThat(events.get(2).path("outcome").asString()).isEqualTo("duplicate");
        assertThat(events.get(3).path("outcome").asString()).isEqualTo("rejected");
        assertThat(events.get(3).path("reason").asString()).isNotBlank();

        assertThat(rows()).as("ledger rows").isEqualTo(rowsBefore);
        assertThat(cluster()).as("the cluster").isEqualTo(clusterBefore);
    }

    @Test
    void oneEventAloneIsSimulatedToo() {
        Response response = post(
                "viewer",
                "/api/v1/simulations",
                terminalShell(
                        UUID.randomUUID().toString(),
                        "nowhere",
                        "ghost",
                        Instant.now().toString()));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode event = response.json().path("events").get(0);
        assertThat(event.path("outcome").asString()).isEqualTo("acted");
        assertThat(event.path("planning").path("planned").asBoolean()).isFalse();
        assertThat(event.path("planning").path("refusal").asString()).isEqualTo("not-found");
        assertThat(event.path("admit").path("rule").asString()).isEqualTo("refused");
    }

    @Test
    void aBodyThatIsNeitherAnEventNorAListIs400() {
        Response response = post("viewer", "/api/v1/simulations", "\"events\"");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("detail").asString())
                .isEqualTo("body: expected an event (a JSON object) or an array of events");
    }

    private Map<String, Long> rows() {
        JdbcClient sql = JdbcClient.create(dataSource);
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : TABLES) {
            rows.put(
                    table,
                    sql.sql("select count(*) from " + table).query(Long.class).single());
        }
        return rows;
    }

    /** Everything the planners read and the executor could change, as JSON. */
    private String cluster() {
        return JSON.writeValueAsString(List.of(
                kubernetes.pods().inAnyNamespace().list().getItems(),
                kubernetes
                        .network()
                        .v1()
                        .networkPolicies()
                        .inAnyNamespace()
                        .list()
                        .getItems(),
                kubernetes.serviceAccounts().inAnyNamespace().list().getItems(),
                kubernetes.rbac().roleBindings().inAnyNamespace().list().getItems(),
                kubernetes.rbac().clusterRoleBindings().list().getItems(),
                kubernetes.secrets().inAnyNamespace().list().getItems()));
    }
}
