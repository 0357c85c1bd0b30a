package dev.stanch.detection;

import static dev.stanch.detection.Events.detection;
import static dev.stanch.detection.Events.ignored;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CloudEvents 1.0 envelopes around each kind of data. */
class NormalizerCloudEventsTest {

    private static String cloudEvent(String type, String data) {
        return """
        {"specversion": "1.0", "id": "ce-42", "source": "//detectors.example/cluster-a",
         "type": "%s", "time": "2024-06-01T08:00:00Z", "subject": "default/web-0",
         "datacontenttype": "application/json", "data": %s}
        """.formatted(type, data);
    }

    @Test
    void falcoDataNamedByFalcosidekicksType() {
        String falco = Corpus.read("falco-events/falco-talon-example-03.json");
        Detection detection = detection(cloudEvent("falco.rule.output.v1", falco));
        assertThat(detection.source()).isEqualTo(Source.FALCO);
        assertThat(detection.rule()).isEqualTo("Test NetworkPolicy");
        // Falco's data has no uuid: the envelope's id is the detection's
        assertThat(detection.id()).isEqualTo("ce-42");
        assertThat(detection.time()).isEqualTo(Instant.parse("2019-05-17T15:31:56.746609046Z"));
        assertThat(detection.connection().peerIp()).isEqualTo("8.8.8.8");
        assertThat(detection.fields())
                .containsEntry("cloudevents.id", "ce-42")
                .containsEntry("cloudevents.source", "//detectors.example/cluster-a")
                .containsEntry("cloudevents.type", "falco.rule.output.v1")
                .containsEntry("cloudevents.subject", "default/web-0")
                .containsEntry("output", "Test");
    }

    @Test
    void falcosidekicksUuidInsideTheDataWinsOverTheEnvelopeId() {
        String falco = Corpus.read("falco/derived-falcosidekick-kafka-value-networkpolicy.json")
                .replace("00000000-0000-0000-0000-000000000000", "7f3e2a10-55c1-4d0e-9a51-0c2b3f1d9e77");
        assertThat(detection(cloudEvent("falco.rule.output.v1", falco)).id())
                .isEqualTo("7f3e2a10-55c1-4d0e-9a51-0c2b3f1d9e77");
    }

    @Test
    void tetragonDataRecognizedFromTheDataWhenTheTypeNamesNoDetector() {
        String tetragon = Corpus.read("tetragon-events/runtime-radar-CS_RT_DOWNLOAD_TOOLS.json");
        Detection detection = detection(cloudEvent("com.example.security.event", tetragon));
        assertThat(detection.source()).isEqualTo(Source.TETRAGON);
        assertThat(detection.rule()).isEqualTo("tcp-out-monitoring");
        assertThat(detection.id()).isEqualTo("ce-42");
        assertThat(detection.connection().peerIp()).isEqualTo("140.82.121.4");
        assertThat(detection.fields()).containsEntry("cloudevents.type", "com.example.security.event");
    }

    @Test
    void kubeArmorDataNamedByType() {
        String kubeArmor = Corpus.read("kubearmor-alerts/kubearmor-017.json");
        Detection detection = detection(cloudEvent("com.kubearmor.alert", kubeArmor));
        assertThat(detection.source()).isEqualTo(Source.KUBEARMOR);
        assertThat(detection.rule()).isEqualTo("harden-wordpress-pkg-mngr-exec");
        // the alert has no time of its own: the envelope's stands in, nothing is assumed
        assertThat(detection.time()).isEqualTo(Instant.parse("2024-06-01T08:00:00Z"));
        assertThat(detection.fields()).doesNotContainKey("stanch.assumed");
    }

    @Test
    void notAlertsInsideAnEnvelopeAreStillIgnored() {
        String tetragon = Corpus.read("tetragon-events/tetragon-docs/tetragon-docs-17.json");
        assertThat(ignored(cloudEvent("io.cilium.tetragon.process_exit", tetragon)))
                .startsWith("Tetragon process_exit is not an alert");
    }

    @Test
    void stanchsOwnSchemaWithEverything() {
        String data = """
        {"id": "d-1", "source": "falco", "rule": "Outbound Connection to C2 Servers",
         "severity": "high", "time": "2024-06-01T07:59:59Z",
         "target": {"namespace": "shop", "pod": "cart-0", "container": "app"},
         "connection": {"direction": "egress", "protocol": "tcp", "peerIp": "203.0.113.5",
                        "peerPort": 4444, "localIp": null, "localPort": null},
         "fields": {"proc.name": "nc"}}
        """;
        Detection detection = detection(cloudEvent("dev.stanch.detection.v1", data));
        assertThat(detection.id()).isEqualTo("d-1");
        assertThat(detection.source()).isEqualTo(Source.FALCO);
        assertThat(detection.severity()).isEqualTo(Severity.HIGH);
        assertThat(detection.time()).isEqualTo(Instant.parse("2024-06-01T07:59:59Z"));
        assertThat(detection.target()).isEqualTo(new Target("shop", "cart-0", "app"));
        assertThat(detection.connection())
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "tcp", "203.0.113.5", 4444, null, null));
        assertThat(detection.fields()).containsEntry("proc.name", "nc").containsEntry("cloudevents.id", "ce-42");
    }

    @Test
    void stanchsOwnSchemaTakesIdTimeAndSourceFromTheEnvelope() {
        String data = """
        {"rule": "crypto-miner", "severity": "critical",
         "target": {"namespace": "shop", "pod": "cart-0"}}
        """;
        Detection detection = detection(cloudEvent("dev.stanch.detection.v1", data));
        assertThat(detection.id()).isEqualTo("ce-42");
        assertThat(detection.time()).isEqualTo(Instant.parse("2024-06-01T08:00:00Z"));
        assertThat(detection.source()).isEqualTo(Source.CLOUDEVENTS);
        assertThat(detection.connection()).isNull();
    }

    @Test
    void withoutAnyTimeTheReceiptTimeIsAssumed() {
        String event = """
        {"specversion": "1.0", "id": "ce-43", "source": "x", "type": "dev.stanch.detection.v1",
         "data": {"rule": "r", "severity": "low", "target": {"namespace": "a", "pod": "b"}}}
        """;
        Detection detection = detection(event);
        assertThat(detection.time()).isEqualTo(Events.RECEIVED);
        assertThat(detection.fields()).containsEntry("stanch.assumed", List.of("time"));
    }

    @Test
    void dataBase64() {
        String falco = Corpus.read("falco-events/falco-website-008.json");
        String event = """
        {"specversion": "1.0", "id": "ce-44", "source": "falco.org", "type": "falco.rule.output.v1",
         "data_base64": "%s"}
        """.formatted(Base64.getEncoder().encodeToString(falco.getBytes(StandardCharsets.UTF_8)));
        assertThat(detection(event).rule()).isEqualTo("Terminal shell in container");
    }

    @Test
    void dataAsAJsonString() {
        String event = """
        {"specversion": "1.0", "id": "ce-45", "source": "x", "type": "dev.stanch.detection.v1",
         "data": "{\\"rule\\": \\"r\\", \\"severity\\": \\"low\\", \\"target\\": {\\"namespace\\": \\"a\\", \\"pod\\": \\"b\\"}}"}
        """;
        assertThat(detection(event).rule()).isEqualTo("r");
    }

    @Test
    void theEnvelopeIsChecked() {
        String falco = Corpus.read("falco-events/falco-website-008.json");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", falco).replace("\"1.0\"", "\"0.3\"")))
                .isEqualTo("specversion: only CloudEvents 1.0 is supported, not '0.3'");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", falco).replace("\"id\": \"ce-42\",", "")))
                .isEqualTo("id: missing (a CloudEvent requires it)");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", falco).replace("application/json", "application/xml")))
                .isEqualTo("datacontenttype: only JSON data is supported, not 'application/xml'");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", "[1, 2]")))
                .isEqualTo("data: expected a JSON object, got '[1, 2]'");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", "null"))).isEqualTo("data: missing");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", falco).replace("2024-06-01T08:00:00Z", "yesterday")))
                .isEqualTo("time: not an RFC 3339 timestamp: 'yesterday'");
        assertThat(rejected(cloudEvent("com.example.x", "{\"hello\": \"world\"}")))
                .startsWith("data: neither the type 'com.example.x' nor the data names a known format");
    }

    @Test
    void dataInTheWrongFormatForItsTypeIsRejectedByThatFormat() {
        String kubeArmor = Corpus.read("kubearmor-alerts/kubearmor-017.json");
        assertThat(rejected(cloudEvent("falco.rule.output.v1", kubeArmor))).isEqualTo("rule: missing");
    }

    @Test
    void aCloudEventInsideACloudEventIsRejected() {
        String inner = cloudEvent("falco.rule.output.v1", Corpus.read("falco-events/falco-website-008.json"));
        assertThat(rejected(cloudEvent("com.example.wrapper", inner)))
                .isEqualTo("data: a CloudEvent inside a CloudEvent is not supported");
    }

    @Test
    void stanchsSchemaInsideAnEnvelopeIsValidatedLikeAnyEvent() {
        String data = """
        {"rule": "r", "severity": "urgent", "target": {"namespace": "a", "pod": "b"}}
        """;
        assertThat(rejected(cloudEvent("dev.stanch.detection.v1", data)))
                .isEqualTo("severity: not one of critical, high, medium, low, info: 'urgent'");
    }
}
