package dev.stanch.detection;

import static dev.stanch.detection.Events.detection;
import static dev.stanch.detection.Events.falco;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The quirks of Falco's alerts as Falco, Falcosidekick and Falco Talon write them. */
class NormalizerFalcoTest {

    @Test
    void talonSpellsTheRuleKeyWithACapital() {
        Detection detection = detection("""
            {"output": "Test", "priority": "Critical", "Rule": "Test Terminate",
             "time": "2019-05-17T15:31:56.746609046Z",
             "output_fields": {"k8s.pod.name": "test", "k8s.ns.name": "default"}}
            """);
        assertThat(detection.rule()).isEqualTo("Test Terminate");
        assertThat(detection.fields()).doesNotContainKeys("Rule", "rule");
    }

    @Test
    void envelopeKeysMatchIgnoringCaseAsGoDoes() {
        Detection detection = detection("""
            {"Output": "x", "PRIORITY": "warning", "RULE": "r", "Time": "2024-01-01T00:00:00Z",
             "Output_Fields": {"k8s.ns.name": "default", "k8s.pod.name": "web-0"}}
            """);
        assertThat(detection.severity()).isEqualTo(Severity.MEDIUM);
        assertThat(detection.target().pod()).isEqualTo("web-0");
        assertThat(detection.fields()).containsEntry("output", "x");
    }

    @ParameterizedTest
    @CsvSource({
        "Emergency, CRITICAL",
        "ALERT, CRITICAL",
        "critical, CRITICAL",
        "Error, HIGH",
        "Warning, MEDIUM",
        "Notice, LOW",
        "Informational, INFO",
        "info, INFO",
        "Debug, INFO"
    })
    void prioritiesMapOntoStanchSeverities(String priority, Severity severity) {
        String event = falco("\"proc.name\": \"sh\"").replace("\"Critical\"", '"' + priority + '"');
        assertThat(detection(event).severity()).isEqualTo(severity);
    }

    @Test
    void anUnknownPriorityIsRejected() {
        String event = falco("\"proc.name\": \"sh\"").replace("\"Critical\"", "\"Severe\"");
        assertThat(rejected(event)).isEqualTo("priority: not a Falco priority: 'Severe'");
    }

    @Test
    void portsComeAsStringsOrNumbers() {
        Detection quoted = detection(falco("\"fd.rip\": \"8.8.8.8\", \"fd.rport\": \"8888\""));
        Detection number = detection(falco("\"fd.rip\": \"8.8.8.8\", \"fd.rport\": 8888"));
        assertThat(quoted.connection()).isEqualTo(number.connection());
        assertThat(number.connection().peerPort()).isEqualTo(8888);
        // the detector's own value stays as it was sent
        assertThat(quoted.fields()).containsEntry("fd.rport", "8888");
        assertThat(number.fields()).containsEntry("fd.rport", 8888L);
    }

    @Test
    void unresolvedFieldsAreNullAndStayInFields() {
        Detection detection = detection(falco("\"proc.pname\": null, \"fd.rip\": null, \"container.name\": null"));
        assertThat(detection.connection()).isNull();
        assertThat(detection.target().container()).isNull();
        assertThat(detection.fields()).containsEntry("proc.pname", null);
    }

    @Test
    void aNullPodIsNoPod() {
        String event = """
        {"output": "x", "priority": "Notice", "rule": "r", "time": "2024-01-01T00:00:00Z",
         "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": null}}
        """;
        assertThat(rejected(event)).isEqualTo("no pod to act on: k8s.pod.name is missing");
    }

    @Test
    void withoutTimeTheNanosecondEpochOfEvtTimeIsUsed() {
        String event =
                falco("\"evt.time\": 1618082841002873265").replace("\"time\": \"2024-05-01T10:00:00.123456789Z\",", "");
        assertThat(detection(event).time()).isEqualTo(Instant.parse("2021-04-10T19:27:21.002873265Z"));
    }

    @ParameterizedTest
    @CsvSource({
        "1618082841002873265, 2021-04-10T19:27:21.002873265Z",
        "'\"1618082841002873265\"', 2021-04-10T19:27:21.002873265Z",
        "1618082841002873, 2021-04-10T19:27:21.002873Z",
        "1618082841002, 2021-04-10T19:27:21.002Z",
        "1618082841, 2021-04-10T19:27:21Z"
    })
    void evtTimeIsReadInWhicheverUnitItsSizeSays(String evtTime, Instant expected) {
        String event = falco("\"evt.time\": " + evtTime).replace("\"time\": \"2024-05-01T10:00:00.123456789Z\",", "");
        assertThat(detection(event).time()).isEqualTo(expected);
    }

    @Test
    void anEvtTimeThatIsNoEpochIsRejected() {
        String event = falco("\"evt.time\": \"99999999999999999999\"")
                .replace("\"time\": \"2024-05-01T10:00:00.123456789Z\",", "");
        assertThat(rejected(event)).isEqualTo("evt.time: not an epoch time: '99999999999999999999'");
    }

    @Test
    void aBrokenTimeFallsBackToEvtTimeWhateverItsUnit() {
        // falco-website-005.json: time "…Z+2", evt.time in microseconds
        String event = falco("\"evt.time\": 1618347519000000")
                .replace("2024-05-01T10:00:00.123456789Z", "2021-04-13T20:58:00.746609046Z+2");
        assertThat(detection(event).time()).isEqualTo(Instant.parse("2021-04-13T20:58:39Z"));
    }

    @Test
    void aBrokenTimeWithoutEvtTimeIsRejected() {
        String event = falco("\"proc.name\": \"sh\"")
                .replace("2024-05-01T10:00:00.123456789Z", "2021-04-13T20:58:00.746609046Z+2");
        assertThat(rejected(event)).isEqualTo("time: not an RFC 3339 timestamp: '2021-04-13T20:58:00.746609046Z+2'");
    }

    @Test
    void anEventWithoutAnyTimeGetsTheReceiptTimeAndSaysSo() {
        String event = falco("\"proc.name\": \"sh\"").replace("\"time\": \"2024-05-01T10:00:00.123456789Z\",", "");
        Detection detection = detection(event);
        assertThat(detection.time()).isEqualTo(Events.RECEIVED);
        assertThat(detection.fields()).containsEntry("stanch.assumed", List.of("time"));
    }

    @Test
    void timesWithAnOffsetAreConvertedToUtc() {
        String event =
                falco("\"proc.name\": \"sh\"").replace("2024-05-01T10:00:00.123456789Z", "2024-05-01T12:00:00+02:00");
        assertThat(detection(event).time()).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
    }

    @Test
    void fdNameOfAClientSocketIsAnEgressConnection() {
        Connection connection = detection(falco("\"evt.type\": \"connect\", \"fd.l4proto\": \"tcp\","
                        + " \"fd.name\": \"10.244.0.7:41234->93.184.216.34:443\""))
                .connection();
        assertThat(connection)
                .isEqualTo(
                        new Connection(Connection.Direction.EGRESS, "tcp", "93.184.216.34", 443, "10.244.0.7", 41234));
    }

    @Test
    void fdNameOfAnAcceptedSocketIsAnIngressConnectionFromTheClient() {
        Connection connection = detection(falco("\"evt.type\": \"accept4\", \"fd.l4proto\": \"tcp\","
                        + " \"fd.name\": \"203.0.113.9:51000->10.244.0.7:8080\""))
                .connection();
        assertThat(connection)
                .isEqualTo(
                        new Connection(Connection.Direction.INGRESS, "tcp", "203.0.113.9", 51000, "10.244.0.7", 8080));
    }

    @Test
    void fdNameWithIpv6AddressesSplitsAtTheLastColon() {
        Connection connection = detection(falco("\"fd.type\": \"ipv6\", \"fd.l4proto\": \"udp\","
                        + " \"fd.name\": \"2001:DB8::7:41234->2001:db8:0:0::53:53\""))
                .connection();
        assertThat(connection)
                .isEqualTo(
                        new Connection(Connection.Direction.EGRESS, "udp", "2001:db8::53", 53, "2001:db8::7", 41234));
    }

    @Test
    void fdNameInBracketsIsReadToo() {
        Connection connection = detection(falco("\"fd.name\": \"[fd00::7]:41234->[fd00::1]:443\""))
                .connection();
        assertThat(connection.peerIp()).isEqualTo("fd00::1");
        assertThat(connection.localIp()).isEqualTo("fd00::7");
    }

    @Test
    void fdNameOfAFileIsNoConnection() {
        Detection detection = detection(falco("\"fd.name\": \"/bin/hack\""));
        assertThat(detection.connection()).isNull();
        assertThat(detection.fields()).containsEntry("fd.name", "/bin/hack");
    }

    @Test
    void remoteAndLocalFieldsWinOverTheTuple() {
        Connection connection = detection(
                        falco("\"fd.lip\": \"10.0.0.5\", \"fd.lport\": 8080, \"fd.rip\": \"10.0.0.9\","
                                + " \"fd.rport\": 45000, \"fd.sip\": \"10.0.0.5\", \"fd.sport\": 8080,"
                                + " \"fd.cip\": \"10.0.0.9\", \"fd.cport\": 45000"))
                .connection();
        // local end is the server end: the peer connected to the pod
        assertThat(connection)
                .isEqualTo(new Connection(Connection.Direction.INGRESS, "tcp", "10.0.0.9", 45000, "10.0.0.5", 8080));
    }

    @Test
    void serverFieldsAloneMeanThePodWasTheClient() {
        Connection connection = detection(
                        falco("\"fd.sip\": \"10.96.0.1\", \"fd.sport\": 443, \"fd.l4proto\": \"tcp\""))
                .connection();
        assertThat(connection)
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "tcp", "10.96.0.1", 443, null, null));
    }

    @Test
    void fdIsServerSaysWhoConnected() {
        Connection connection = detection(
                        falco("\"fd.is_server\": true, \"fd.cip\": \"198.51.100.4\", \"fd.cport\": 40000,"
                                + " \"fd.sip\": \"10.0.0.5\", \"fd.sport\": 22"))
                .connection();
        assertThat(connection.direction()).isEqualTo(Connection.Direction.INGRESS);
        assertThat(connection.peerIp()).isEqualTo("198.51.100.4");
        assertThat(connection.localPort()).isEqualTo(22);
    }

    @Test
    void aConnectionWithoutProtocolIsAssumedTcpAndSaysSo() {
        Detection detection = detection(falco("\"fd.rip\": \"8.8.8.8\", \"fd.rport\": \"53\""));
        assertThat(detection.connection().protocol()).isEqualTo("tcp");
        assertThat(detection.fields()).containsEntry("stanch.assumed", List.of("protocol"));
    }

    @Test
    void icmpIsNoConnection() {
        Detection detection = detection(falco("\"fd.rip\": \"8.8.8.8\", \"fd.l4proto\": \"icmp\""));
        assertThat(detection.connection()).isNull();
    }

    @Test
    void aPortWithoutAnAddressIsAnIncompleteConnectionAndIsLeftOut() {
        assertThat(detection(falco("\"fd.rport\": 443")).connection()).isNull();
    }

    @Test
    void portZeroIsNoPort() {
        assertThat(detection(falco("\"fd.rip\": \"8.8.8.8\", \"fd.rport\": 0"))
                        .connection()
                        .peerPort())
                .isNull();
    }

    @Test
    void ipv4MappedIpv6IsTheIpv4Address() {
        assertThat(detection(falco("\"fd.rip\": \"::ffff:10.1.2.3\""))
                        .connection()
                        .peerIp())
                .isEqualTo("10.1.2.3");
    }

    @Test
    void ipv6IsWrittenInCanonicalForm() {
        assertThat(detection(falco("\"fd.rip\": \"2001:0DB8:0000:0000:0000:0000:0000:0001\""))
                        .connection()
                        .peerIp())
                .isEqualTo("2001:db8::1");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"fd.rip\": \"999.1.1.1\"                 | fd.rip: not an IP address: '999.1.1.1'",
                "\"fd.rip\": \"c2.example.com\"            | fd.rip: not an IP address: 'c2.example.com'",
                "\"fd.rip\": \"010.1.1.1\"                 | fd.rip: not an IP address: '010.1.1.1'",
                "\"fd.rip\": \"fe80::1%eth0\"              | fd.rip: scoped IPv6 addresses are not supported: 'fe80::1%eth0'",
                "\"fd.rip\": 12                          | fd.rip: expected a string, got '12'",
                "\"fd.rip\": \"8.8.8.8\", \"fd.rport\": \"70000\" | fd.rport: port out of range 1–65535: '70000'",
                "\"fd.rip\": \"8.8.8.8\", \"fd.rport\": -1      | fd.rport: port out of range 1–65535: '-1'",
                "\"fd.rip\": \"8.8.8.8\", \"fd.rport\": \"http\"  | fd.rport: not a port number: 'http'",
                "\"fd.rip\": \"8.8.8.8\", \"fd.rport\": 80.5     | fd.rport: not a port number: '80.5'",
                "\"fd.name\": \"10.0.0.1:x->8.8.8.8:53\"    | fd.name: not a port number: 'x'",
            })
    void invalidAddressesAndPortsAreRejectedNamingFieldAndValue(String fields, String reason) {
        assertThat(rejected(falco(fields))).isEqualTo(reason);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Default | web-0 | k8s.ns.name: not a valid namespace name (DNS-1123 label): 'Default'",
                "kube_system | web-0 | k8s.ns.name: not a valid namespace name (DNS-1123 label): 'kube_system'",
                "default | web_0 | k8s.pod.name: not a valid pod name (DNS-1123 subdomain): 'web_0'",
                "default | -web | k8s.pod.name: not a valid pod name (DNS-1123 subdomain): '-web'",
                "default | ../etc | k8s.pod.name: not a valid pod name (DNS-1123 subdomain): '../etc'",
            })
    void invalidNamesAreRejectedNamingFieldAndValue(String namespace, String pod, String reason) {
        String event = """
        {"priority": "Notice", "rule": "r", "time": "2024-01-01T00:00:00Z",
         "output_fields": {"k8s.ns.name": "%s", "k8s.pod.name": "%s"}}
        """.formatted(namespace, pod);
        assertThat(rejected(event)).isEqualTo(reason);
    }

    @Test
    void namesHaveKubernetesLengthLimits() {
        String longNamespace = "n".repeat(64);
        String event = """
        {"priority": "Notice", "rule": "r", "time": "2024-01-01T00:00:00Z",
         "output_fields": {"k8s.ns.name": "%s", "k8s.pod.name": "web-0"}}
        """.formatted(longNamespace);
        assertThat(rejected(event)).startsWith("k8s.ns.name: not a valid namespace name");
        String dottedPod = "a.".repeat(126) + "b"; // 253 characters: the longest valid pod name
        assertThat(detection(event.replace(longNamespace, "default").replace("web-0", dottedPod))
                        .target()
                        .pod())
                .hasSize(253);
        assertThat(rejected(event.replace(longNamespace, "default").replace("web-0", dottedPod + "c")))
                .startsWith("k8s.pod.name: not a valid pod name");
    }

    @Test
    void aContainerNameKubernetesWouldNotAcceptIsDroppedButKeptInFields() {
        Detection detection = detection(falco("\"container.name\": \"k8s_app_web-0_default_1\""));
        assertThat(detection.target().container()).isNull();
        assertThat(detection.fields()).containsEntry("container.name", "k8s_app_web-0_default_1");
        assertThat(detection(falco("\"container.name\": \"app\"")).target().container())
                .isEqualTo("app");
    }

    @Test
    void k8sAuditEventsAboutAPodTargetThatPod() {
        Detection detection = detection("""
            {"priority": "Notice", "rule": "Attach/Exec Pod", "time": "2024-01-01T00:00:00Z",
             "source": "k8s_audit", "output_fields": {"ka.target.resource": "pods",
             "ka.target.namespace": "shop", "ka.target.name": "cart-7d9f", "ka.user.name": "eve"}}
            """);
        assertThat(detection.target()).isEqualTo(new Target("shop", "cart-7d9f", null));
        assertThat(detection.fields())
                .containsEntry("falco.source", "k8s_audit")
                .containsEntry("ka.user.name", "eve");
    }

    @Test
    void k8sAuditEventsAboutOtherObjectsHaveNoPod() {
        String event = """
        {"priority": "Notice", "rule": "K8s Secret Get", "time": "2024-01-01T00:00:00Z",
         "output_fields": {"ka.target.resource": "secrets", "ka.target.namespace": "shop",
         "ka.target.name": "db"}}
        """;
        assertThat(rejected(event))
                .isEqualTo("no pod to act on: the Kubernetes audit event is about 'secrets', not a pod");
    }

    @Test
    void falcoInternalEventsAreIgnored() {
        assertThat(Events.ignored("""
                {"output": "Falco metrics snapshot", "priority": "Informational",
                 "rule": "Falco internal: metrics snapshot", "source": "internal",
                 "time": "2025-05-29T22:19:58.960296886Z", "output_fields": {"evt.source": "syscall"}}
                """)).startsWith("Falco internal event, not an alert");
    }

    @Test
    void falcosidekickUuidIsTheId() {
        String event = falco("\"proc.name\": \"sh\"")
                .replace("{\"output\"", "{\"uuid\": \"1b1a9e1a-0c4f-4bd5-8f5a-3a6e0ad50d39\", \"output\"");
        assertThat(detection(event).id()).isEqualTo("1b1a9e1a-0c4f-4bd5-8f5a-3a6e0ad50d39");
    }

    @Test
    void theNilUuidIsAPlaceholderNotAnId() {
        String event = falco("\"proc.name\": \"sh\"")
                .replace("{\"output\"", "{\"uuid\": \"00000000-0000-0000-0000-000000000000\", \"output\"");
        assertThat(detection(event).id()).startsWith("sha256:");
    }

    @Test
    void fieldsHoldOutputFieldsAndTheEnvelopeUnderStableNames() {
        Detection detection = detection("""
            {"hostname": "node-1", "output": "shell", "priority": "Notice",
             "rule": "Terminal shell in container", "source": "syscall", "tags": ["shell", "mitre"],
             "time": "2024-01-01T00:00:00Z",
             "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": "web-0",
             "proc.name": "sh", "proc.tty": 34816, "evt.time": 1704067200000000000}}
            """);
        assertThat(detection.fields())
                .containsEntry("proc.name", "sh")
                .containsEntry("proc.tty", 34816L)
                .containsEntry("evt.time", 1704067200000000000L)
                .containsEntry("output", "shell")
                .containsEntry("priority", "Notice")
                .containsEntry("tags", List.of("shell", "mitre"))
                .containsEntry("hostname", "node-1")
                .containsEntry("falco.source", "syscall")
                .doesNotContainKeys("rule", "time", "source", "output_fields");
    }
}
