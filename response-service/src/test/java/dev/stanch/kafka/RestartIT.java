package dev.stanch.kafka;

import static dev.stanch.kafka.ServiceHarness.C2_RULE;
import static dev.stanch.kafka.ServiceHarness.await;
import static dev.stanch.kafka.ServiceHarness.detectionId;
import static dev.stanch.kafka.ServiceHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.test.EmbeddedKafkaBroker;

/**
 * (c) An abrupt stop in the middle of a stream of detections, and a new instance on the same
 * database and broker (the same consumer group).
 *
 * <p>What is honest to do in one JVM: a thread cannot be killed, so the first instance is stopped
 * with {@code close()} once part of the stream has become actions — its consumers stop after the
 * record in hand, its runner and relay after their round, the rest of the stream and of the
 * actions' work left undone. What a crash would have lost on top of that is then taken away by
 * hand, in its worst case: <b>every committed offset of the group is reset to the start</b> (a
 * crash after each ledger commit and before its offset commit, so every record is delivered
 * again) and <b>every outbox row is marked unpublished again</b> (a relay that died after the
 * broker's acknowledgement and before its own commit, so every transition is sent again). A lease
 * held by a dead runner is not simulated here; the lease tests of the ledger cover it.
 *
 * <p>Then a second instance starts. Proved: every detection becomes exactly one action, each
 * applied exactly once (ledger and mock cluster); {@code stanch.actions} has every transition — no
 * CloudEvent id missing, in each action's order. Ids may repeat: docs/kafka.md promises
 * at-least-once publication with consumers deduplicating on {@code id}, and a repeat is the same
 * event.
 */
@ExtendWith({LedgerPostgresExtension.class, EmbeddedKafkaExtension.class})
class RestartIT {

    private static final int DETECTIONS = 12;
    private static final String GROUP = "stanch";

    @Test
    void afterAnAbruptStopANewInstanceMakesEveryDetectionExactlyOneActionAndPublishesEveryTransition(
            LedgerPostgres postgres, EmbeddedKafkaBroker kafka, @TempDir Path dir) throws Exception {
        String url = postgres.newEmptyDatabase();
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setURL(url);
        direct.setUser("postgres");
        try (ServiceHarness stanch = new ServiceHarness(dir, kafka.getBrokersAsString(), direct)) {
            List<String> events = new ArrayList<>();
            for (int i = 0; i < DETECTIONS; i++) {
                String ip = "10.4.0." + (10 + i);
                stanch.pod("stream-" + i, ip);
                events.add(event(C2_RULE, "stream-" + i, ip));
            }

            ConfigurableApplicationContext first = start(stanch, url, "first");
            // Half the stream arrives while it runs; it is stopped once part of that is taken in.
            try {
                for (String event : events.subList(0, DETECTIONS / 2)) {
                    stanch.produce(podOf(event), event);
                }
                await(
                        "part of the stream is taken in",
                        () -> events.stream()
                                        .filter(e -> stanch.storedDetection(detectionId(e)))
                                        .count()
                                >= 2);
            } finally {
                first.close();
            }
            // The stream goes on while no instance runs.
            for (String event : events.subList(DETECTIONS / 2, DETECTIONS)) {
                stanch.produce(podOf(event), event);
            }
            long takenByFirst = events.stream()
                    .filter(e -> stanch.storedDetection(detectionId(e)))
                    .count();
            resetOffsetsToStart(kafka.getBrokersAsString());
            int republished = JdbcClient.create(direct)
                    .sql("update outbox set published_at = null where published_at is not null")
                    .update();
            System.out.printf(
                    "RestartIT: the first instance took %d of %d detections in; %d outbox rows marked unpublished%n",
                    takenByFirst, DETECTIONS, republished);

            ConfigurableApplicationContext second = start(stanch, url, "second");
            try {
                List<UUID> actions = new ArrayList<>();
                for (String event : events) {
                    UUID action = stanch.awaitAction(detectionId(event));
                    await(
                            "action " + action + " applied",
                            () -> stanch.transitions(action).contains("applied"));
                    actions.add(action);
                }
                await("every transition is published", () -> stanch.unpublished() == 0);

                Set<Integer> policies = new LinkedHashSet<>();
                for (int i = 0; i < DETECTIONS; i++) {
                    UUID action = actions.get(i);
                    assertThat(stanch.actionsOf(detectionId(events.get(i))))
                            .as("one action for detection " + i)
                            .containsExactly(action);
                    List<String> transitions = stanch.transitions(action);
                    assertThat(transitions).filteredOn("applying"::equals).hasSize(1);
                    assertThat(transitions).filteredOn("applied"::equals).hasSize(1);
                    policies.add(stanch.networkPoliciesOf(action));
                }
                assertThat(policies)
                        .as("every action holds the same objects in the cluster: none applied twice")
                        .hasSize(1)
                        .allSatisfy(count -> assertThat(count).isPositive());

                List<Map<String, Object>> published = stanch.actionEvents();
                Map<String, Map<String, Object>> byId = new HashMap<>();
                for (Map<String, Object> e : published) {
                    Map<String, Object> earlier = byId.putIfAbsent((String) e.get("id"), e);
                    if (earlier != null) {
                        assertThat(e).as("a repeat is the same event").isEqualTo(earlier);
                    }
                }
                assertThat(byId.keySet())
                        .as("no transition missing from stanch.actions")
                        .containsAll(stanch.auditEventIds());
                for (UUID action : actions) {
                    List<String> firstSeen = published.stream()
                            .filter(e -> action.toString().equals(e.get("subject")))
                            .map(e -> (String) e.get("id"))
                            .distinct()
                            .toList();
                    List<String> audit = JdbcClient.create(direct)
                            .sql("select 'audit-' || seq from audit_log where action_id = :id order by seq")
                            .param("id", action)
                            .query(String.class)
                            .list();
                    assertThat(firstSeen).as("in the action's order").isEqualTo(audit);
                }
                System.out.printf(
                        "RestartIT: %d events on stanch.actions for %d transitions%n", published.size(), byId.size());
            } finally {
                second.close();
            }
        }
    }

    /** The whole service, as {@code main} starts it, on this test's dependencies. */
    private static ConfigurableApplicationContext start(ServiceHarness stanch, String url, String instance)
            throws ClassNotFoundException {
        Map<String, Object> properties = new HashMap<>();
        properties.put("server.port", "0");
        properties.put("spring.datasource.url", url);
        properties.put("spring.datasource.username", "postgres");
        properties.put("spring.kafka.bootstrap-servers", stanch.brokers);
        properties.put("stanch.kubernetes.kubeconfig", stanch.kubeconfig.toString());
        properties.put("stanch.playbooks.dir", stanch.playbooks.toString());
        properties.put("stanch.playbooks.reload-interval", "0s");
        properties.put("stanch.guardrails.protected-namespaces", "kube-system");
        // One namespace, a burst of detections: the rate limits are not what this test is about.
        properties.put("stanch.guardrails.actions-per-minute", "100");
        properties.put("stanch.guardrails.actions-per-minute-per-namespace", "100");
        properties.put("stanch.instance-id", instance);
        properties.put("stanch.runner.interval", "100ms");
        properties.put("stanch.kafka.relay.interval", "100ms");
        properties.put("stanch.kafka.retry.initial-interval", "200ms");
        properties.put("stanch.kafka.retry.max-interval", "1s");
        // The application class, by name: the features' tests do not depend on it (ArchitectureTest).
        return new SpringApplicationBuilder(Class.forName("dev.stanch.StanchApplication"))
                .properties(properties)
                .run();
    }

    /** What a crash between the ledger's commits and Kafka's would leave: no offset committed at all. */
    private static void resetOffsetsToStart(String brokers) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            for (int partition = 0; partition < 2; partition++) {
                start.put(new TopicPartition(EmbeddedKafkaExtension.DETECTIONS, partition), new OffsetAndMetadata(0));
            }
            await("the group's offsets reset (the group must be empty)", () -> {
                try {
                    admin.alterConsumerGroupOffsets(GROUP, start).all().get();
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    private static String podOf(String event) {
        java.util.regex.Matcher pod =
                java.util.regex.Pattern.compile("\"k8s.pod.name\":\"([^\"]+)\"").matcher(event);
        assertThat(pod.find()).isTrue();
        return pod.group(1);
    }
}
