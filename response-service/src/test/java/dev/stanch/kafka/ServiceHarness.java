package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.Await;
import dev.stanch.action.StanchLabels;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.kubernetes.ClusterFixtures;
import dev.stanch.kubernetes.Kubeconfigs;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the fault tests share with the service they boot (the way {@link KafkaIT} boots it): the
 * fabric8 mock API server, which answers 503 while {@link #apiUnavailable} is set, a kubeconfig
 * for it, a producer to the in-process broker, the playbooks, and reading back the ledger (on a
 * connection of the test's own, not the service's pool) and the topics.
 */
final class ServiceHarness implements AutoCloseable {

    static final Duration PATIENCE = Duration.ofSeconds(90);
    static final String NAMESPACE = "shop";
    /** The rule of the playbook that acts at once. */
    static final String C2_RULE = "Outbound Connection to C2 Servers";
    /** The rule of the playbook that asks a person, and whose action expires 2 s after it is applied. */
    static final String ASK_RULE = "Outbound Connection to Unknown Host";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    final AtomicBoolean apiUnavailable = new AtomicBoolean();
    final KubernetesMockServer kubernetes;
    final KubernetesClient admin;
    final Path kubeconfig;
    final Path playbooks;
    final String brokers;
    final KafkaProducer<String, byte[]> producer;
    private final JdbcClient sql;

    ServiceHarness(Path dir, String brokers, DataSource ledger) throws IOException {
        this.brokers = brokers;
        this.sql = JdbcClient.create(ledger);
        Dispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher unavailableAtWill = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (apiUnavailable.get()) {
                    return new MockResponse()
                            .setResponseCode(503)
                            .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                    + "\"message\":\"the server is currently unable to handle the request\","
                                    + "\"reason\":\"ServiceUnavailable\",\"code\":503}");
                }
                return crud.dispatch(request);
            }
        };
        kubernetes =
                new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), unavailableAtWill, false);
        kubernetes.init();
        admin = kubernetes.createClient();
        kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), admin.getConfiguration());
        playbooks = Files.createDirectories(dir.resolve("playbooks"));
        Files.writeString(playbooks.resolve("c2.yaml"), """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: outbound-c2
                spec:
                  match:
                    sources: [falco]
                    rules: ["%s"]
                  window: 30m
                  stages:
                    - name: cut
                      after: 1
                      action: block-connection
                      approval: auto
                      expireAfter: 1h
                """.formatted(C2_RULE));
        Files.writeString(playbooks.resolve("ask.yaml"), """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: ask-first
                spec:
                  match:
                    sources: [falco]
                    rules: ["%s"]
                  window: 30m
                  stages:
                    - name: cut
                      after: 1
                      action: block-connection
                      approval: required
                      approvalTimeout: 30m
                      expireAfter: 2s
                """.formatted(ASK_RULE));
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    @Override
    public void close() {
        producer.close();
        admin.close();
        kubernetes.destroy();
    }

    void pod(String name, String ip) {
        ClusterFixtures.runningPod(admin, NAMESPACE, name, ip, Map.of("app", "web"));
    }

    /** A Falco event for a pod of {@link #NAMESPACE}'s connection out, under {@code rule}. */
    static String event(String rule, String pod, String ip) {
        return """
                {"output":"c2","priority":"Warning","rule":"%s",\
                "time":"%s","source":"syscalls","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"%s",\
                "proc.name":"curl","evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp",\
                "fd.name":"%s:41234->203.0.113.7:443","fd.lip":"%s","fd.lport":41234,"fd.rip":"203.0.113.7","fd.rport":443}}
                """.formatted(rule, Instant.now(), NAMESPACE, pod, ip, ip);
    }

    static String detectionId(String event) {
        Normalization normalization = new DetectionNormalizer().normalize(event);
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection().id();
    }

    RecordMetadata produce(String pod, String event) {
        try {
            return producer.send(new ProducerRecord<>(
                            EmbeddedKafkaExtension.DETECTIONS,
                            NAMESPACE + "/" + pod,
                            event.getBytes(StandardCharsets.UTF_8)))
                    .get();
        } catch (Exception e) {
            throw new AssertionError("cannot produce a detection", e);
        }
    }

    // The ledger, read on the test's own connections ------------------------------------------------

    List<UUID> actionsOf(String detectionId) {
        return sql.sql("select id from actions where detection_id = :id order by created_at")
                .param("id", detectionId)
                .query(UUID.class)
                .list();
    }

    UUID awaitAction(String detectionId) {
        await(
                "an action for detection " + detectionId,
                () -> !actionsOf(detectionId).isEmpty());
        return actionsOf(detectionId).getFirst();
    }

    String status(UUID action) {
        return sql.sql("select status from actions where id = :id")
                .param("id", action)
                .query(String.class)
                .single();
    }

    void awaitStatus(UUID action, String status) {
        await("action " + action + " " + status, () -> status.equals(status(action)));
    }

    boolean storedDetection(String id) {
        return sql.sql("select count(*) from detections where id = :id")
                        .param("id", id)
                        .query(Long.class)
                        .single()
                > 0;
    }

    /** The statuses an action went through, from the audit log, in order. */
    List<String> transitions(UUID action) {
        return sql.sql("select to_status from audit_log where action_id = :id order by seq")
                .param("id", action)
                .query(String.class)
                .list();
    }

    /** {@code audit-<seq>} of every row of the audit log: the CloudEvent ids the relay must publish. */
    List<String> auditEventIds() {
        return sql.sql("select 'audit-' || seq from audit_log order by seq")
                .query(String.class)
                .list();
    }

    long unpublished() {
        return sql.sql("select count(*) from outbox where published_at is null")
                .query(Long.class)
                .single();
    }

    /** The objects Stanch made in the cluster for an action, found by its id label. */
    int networkPoliciesOf(UUID action) {
        return admin.network()
                .networkPolicies()
                .inNamespace(NAMESPACE)
                .withLabel(StanchLabels.ACTION_ID, action.toString())
                .list()
                .getItems()
                .size();
    }

    // The topics ----------------------------------------------------------------------------------------

    /** Every record of a topic, from the beginning to its end as of now. */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                brokers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await("reading " + topic + " to its end", () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
            return records;
        }
    }

    /** The CloudEvents on {@code stanch.actions}, as maps, in the order of their partitions. */
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> actionEvents() {
        return readAll(EmbeddedKafkaExtension.ACTIONS).stream()
                .map(record -> (Map<String, Object>) JSON.readValue(record.value(), Map.class))
                .toList();
    }

    /** Waits for something the service does on its own; the patience is no claim about speed. */
    static void await(String what, BooleanSupplier done) {
        Await.until(PATIENCE, what, done);
    }
}
