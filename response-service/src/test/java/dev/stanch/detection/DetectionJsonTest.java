package dev.stanch.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Stanch's own detection schema: exact names, round trips, and validation on the way in. */
class DetectionJsonTest {

    private static Detection withConnection() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("proc.name", "nc");
        fields.put("proc.tty", 34816);
        fields.put("ratio", 0.5);
        fields.put("tags", List.of("network", "mitre_command_and_control"));
        fields.put("unresolved", null);
        fields.put("nested", Map.of("list", Arrays.asList(1, null, true)));
        return new Detection(
                "7f3e2a10-55c1-4d0e-9a51-0c2b3f1d9e77",
                Source.FALCO,
                "Outbound Connection to C2 Servers",
                Severity.HIGH,
                Instant.parse("2024-03-22T11:45:01.589721382Z"),
                new Target("shop", "cart-7d9f8-x2z", "app"),
                new Connection(Connection.Direction.EGRESS, "tcp", "2001:db8::5", 4444, "10.244.0.7", 51000),
                fields);
    }

    @Test
    void writesExactlyTheDocumentedNames() {
        assertThat(DetectionJson.write(withConnection()))
                .isEqualTo("{\"id\":\"7f3e2a10-55c1-4d0e-9a51-0c2b3f1d9e77\",\"source\":\"falco\","
                        + "\"rule\":\"Outbound Connection to C2 Servers\",\"severity\":\"high\","
                        + "\"time\":\"2024-03-22T11:45:01.589721382Z\","
                        + "\"target\":{\"namespace\":\"shop\",\"pod\":\"cart-7d9f8-x2z\",\"container\":\"app\"},"
                        + "\"connection\":{\"direction\":\"egress\",\"protocol\":\"tcp\",\"peerIp\":\"2001:db8::5\","
                        + "\"peerPort\":4444,\"localIp\":\"10.244.0.7\",\"localPort\":51000},"
                        + "\"fields\":{\"proc.name\":\"nc\",\"proc.tty\":34816,\"ratio\":0.5,"
                        + "\"tags\":[\"network\",\"mitre_command_and_control\"],\"unresolved\":null,"
                        + "\"nested\":{\"list\":[1,null,true]}}}");
    }

    @Test
    void leavesOutAnAbsentConnectionAndWritesAnAbsentContainerAsNull() {
        Detection detection = new Detection(
                "sha256:00",
                Source.KUBEARMOR,
                "DefaultPosture",
                Severity.LOW,
                Instant.parse("2023-10-06T10:31:41Z"),
                new Target("default", "nginx-77b4fdf86c-x7sdm", null),
                null,
                Map.of());
        assertThat(DetectionJson.write(detection))
                .isEqualTo("{\"id\":\"sha256:00\",\"source\":\"kubearmor\",\"rule\":\"DefaultPosture\","
                        + "\"severity\":\"low\",\"time\":\"2023-10-06T10:31:41Z\","
                        + "\"target\":{\"namespace\":\"default\",\"pod\":\"nginx-77b4fdf86c-x7sdm\",\"container\":null},"
                        + "\"fields\":{}}");
    }

    @Test
    void roundTrips() {
        Detection detection = withConnection();
        assertThat(DetectionJson.read(DetectionJson.write(detection)))
                .isEqualTo(new Normalization.Normalized(detection));
    }

    @Test
    void everyCorpusDetectionRoundTrips() {
        Corpus.events().stream()
                .map(event -> Events.NORMALIZER.normalize(event.json()))
                .filter(Normalization.Normalized.class::isInstance)
                .forEach(normalized -> {
                    Detection detection = ((Normalization.Normalized) normalized).detection();
                    assertThat(DetectionJson.read(DetectionJson.write(detection)))
                            .as(detection.id())
                            .isEqualTo(normalized);
                });
    }

    @Test
    void theNormalizerReadsTheSchemaToo() {
        Detection detection = withConnection();
        assertThat(Events.NORMALIZER.normalize(DetectionJson.write(detection)))
                .isEqualTo(new Normalization.Normalized(detection));
    }

    @Test
    void addressesAreCanonicalizedOnTheWayIn() {
        String json = DetectionJson.write(withConnection()).replace("\"2001:db8::5\"", "\"2001:0DB8:0:0:0:0:0:5\"");
        Detection read = ((Normalization.Normalized) DetectionJson.read(json)).detection();
        assertThat(read.connection().peerIp()).isEqualTo("2001:db8::5");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"severity\":\"high\"   | \"severity\":\"HIGH\"    | severity: not one of critical, high, medium, low, info: 'HIGH'",
                "\"source\":\"falco\"    | \"source\":\"snort\"     | source: not one of falco, tetragon, kubearmor, cloudevents: 'snort'",
                "\"peerPort\":4444      | \"peerPort\":\"4444\"     | connection.peerPort: not a port number 1–65535: '4444'",
                "\"peerPort\":4444      | \"peerPort\":0           | connection.peerPort: not a port number 1–65535: '0'",
                "\"peerIp\":\"2001:db8::5\" | \"peerIp\":\"evil.example\" | connection.peerIp: not an IP address: 'evil.example'",
                "\"protocol\":\"tcp\"   | \"protocol\":\"icmp\"    | connection.protocol: not one of tcp, udp, sctp: 'icmp'",
                "\"direction\":\"egress\" | \"direction\":\"out\"  | connection.direction: not egress or ingress: 'out'",
                "\"namespace\":\"shop\" | \"namespace\":\"Shop\"   | target.namespace: not a valid namespace name (DNS-1123 label): 'Shop'",
                "\"container\":\"app\"  | \"container\":\"App_1\"  | target.container: not a valid container name (DNS-1123 label): 'App_1'",
                "\"time\":\"2024-03-22T11:45:01.589721382Z\" | \"time\":\"1711107901\" | time: not an RFC 3339 timestamp: '1711107901'",
                "\"rule\":\"Outbound Connection to C2 Servers\" | \"rule\":\"\" | rule: missing",
                "\"id\":\"7f3e2a10-55c1-4d0e-9a51-0c2b3f1d9e77\", | '' | id: missing",
                "\"localPort\":51000   | \"localport\":51000      | connection.localport: unknown key (expected direction, protocol, peerIp, peerPort, localIp, localPort)",
                "\"fields\":{          | \"extra\":1,\"fields\":{ | extra: unknown key (expected id, source, rule, severity, time, target, connection, fields)",
            })
    void readingValidatesLikeANormalizer(String from, String to, String reason) {
        String json = DetectionJson.write(withConnection());
        assertThat(json).contains(from);
        assertThat(DetectionJson.read(json.replace(from, to))).isEqualTo(new Normalization.Rejected(reason));
    }

    @Test
    void readingSomethingElseIsRejectedNotThrown() {
        assertThat(DetectionJson.read("[]"))
                .isEqualTo(new Normalization.Rejected("not a JSON object: a detection is an object"));
        assertThat(DetectionJson.read("")).isEqualTo(new Normalization.Rejected("empty input"));
        assertThat(DetectionJson.read("{")).isInstanceOf(Normalization.Rejected.class);
    }

    @Test
    void detectionsHoldOnlyJsonValuesInFields() {
        Detection detection = withConnection();
        assertThat(detection.fields().get("proc.tty")).isEqualTo(34816L);
        assertThatThrownBy(() -> detection.fields().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new Detection(
                        "id",
                        Source.FALCO,
                        "r",
                        Severity.LOW,
                        Instant.EPOCH,
                        new Target("a", "b", null),
                        null,
                        Map.of("when", Instant.EPOCH)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a JSON value");
    }

    @Test
    void theRecordsGuardTheirInvariants() {
        assertThatThrownBy(() -> new Target("Default", "web-0", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Connection(Connection.Direction.EGRESS, "TCP", "10.0.0.1", 80, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Connection(Connection.Direction.EGRESS, "tcp", "10.0.0.1", 65536, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
