package dev.stanch.detection;

import static dev.stanch.detection.Events.detection;
import static dev.stanch.detection.Events.ignored;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tetragon's export: event kinds, hooks, sockets, and host processes. */
class NormalizerTetragonTest {

    private static final String POD = """
      "pod": {"namespace": "default", "name": "xwing",
              "container": {"id": "containerd://551e", "name": "spaceship",
                            "image": {"name": "docker.io/tgraf/netperf:latest"}},
              "pod_labels": {"app.kubernetes.io/name": "xwing", "class": "xwing"},
              "workload": "xwing"}
      """;

    /** A process_kprobe of {@code function} in pod default/xwing with the given args JSON array. */
    private static String kprobe(String function, String args, String extra) {
        return """
        {"process_kprobe": {
           "process": {"binary": "/usr/bin/curl", "arguments": "https://ebpf.io", %s},
           "parent": {"binary": "/bin/bash"},
           "function_name": "%s", "args": %s, "action": "KPROBE_ACTION_POST",
           "policy_name": "network"%s},
         "node_name": "kind-control-plane", "time": "2024-03-22T11:45:01.589721382Z"}
        """.formatted(POD, function, args, extra);
    }

    private static String sock(String family, String protocol, String saddr, int sport, String daddr, int dport) {
        return """
        {"sock_arg": {"family": "%s", "type": "SOCK_STREAM", "protocol": "%s", "saddr": "%s",
                      "sport": %d, "daddr": "%s", "dport": %d, "state": "TCP_SYN_SENT"}}
        """.formatted(family, protocol, saddr, sport, daddr, dport);
    }

    @Test
    void tcpConnectIsThePodOpeningAFlow() {
        Detection detection = detection(kprobe(
                "tcp_connect",
                "[" + sock("AF_INET", "IPPROTO_TCP", "10.244.0.97", 55106, "140.82.121.4", 443) + "]",
                ""));
        assertThat(detection.source()).isEqualTo(Source.TETRAGON);
        assertThat(detection.rule()).isEqualTo("network");
        assertThat(detection.severity()).isEqualTo(Severity.MEDIUM);
        assertThat(detection.target()).isEqualTo(new Target("default", "xwing", "spaceship"));
        assertThat(detection.connection())
                .isEqualTo(
                        new Connection(Connection.Direction.EGRESS, "tcp", "140.82.121.4", 443, "10.244.0.97", 55106));
    }

    @Test
    void ipv6Sockets() {
        Connection connection = detection(kprobe(
                        "tcp_connect",
                        "["
                                + sock(
                                        "AF_INET6",
                                        "IPPROTO_TCP",
                                        "fd00:10:244::5",
                                        40000,
                                        "2606:4700:0:0:0:0:0:1111",
                                        443)
                                + "]",
                        ""))
                .connection();
        assertThat(connection.peerIp()).isEqualTo("2606:4700::1111");
        assertThat(connection.localIp()).isEqualTo("fd00:10:244::5");
    }

    @Test
    void udpSendmsgIsUdpEgress() {
        Connection connection = detection(kprobe(
                        "udp_sendmsg",
                        "[" + sock("AF_INET", "IPPROTO_UDP", "10.244.0.5", 41000, "10.96.0.10", 53) + "]",
                        ""))
                .connection();
        assertThat(connection)
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "udp", "10.96.0.10", 53, "10.244.0.5", 41000));
    }

    @Test
    void aListeningSocketIsIngressFromAnyPeer() {
        Connection connection = detection(kprobe(
                        "inet_csk_listen_start",
                        "[" + sock("AF_INET", "IPPROTO_TCP", "0.0.0.0", 58000, "0.0.0.0", 0) + "]",
                        ""))
                .connection();
        assertThat(connection)
                .isEqualTo(new Connection(Connection.Direction.INGRESS, "tcp", "0.0.0.0", null, "0.0.0.0", 58000));
        assertThat(connection.peerIsAny()).isTrue();
    }

    @Test
    void anAcceptedSocketReturnedByTheKretprobeIsIngressFromTheClient() {
        String event = kprobe(
                "inet_csk_accept",
                "[]",
                ", \"return\": " + sock("AF_INET", "IPPROTO_TCP", "10.244.0.5", 8080, "198.51.100.7", 51234));
        assertThat(detection(event).connection())
                .isEqualTo(
                        new Connection(Connection.Direction.INGRESS, "tcp", "198.51.100.7", 51234, "10.244.0.5", 8080));
    }

    @Test
    void aUnixSocketIsNoConnection() {
        assertThat(detection(kprobe("tcp_sendmsg", "[" + sock("AF_UNIX", "0", "", 0, "", 0) + "]", ""))
                        .connection())
                .isNull();
    }

    @Test
    void anInvalidSocketAddressIsRejectedWithItsPath() {
        assertThat(rejected(kprobe(
                        "tcp_connect",
                        "[" + sock("AF_INET", "IPPROTO_TCP", "10.244.0.97", 1, "300.1.1.1", 443) + "]",
                        "")))
                .isEqualTo("process_kprobe.args[0].sock_arg.daddr: not an IP address: '300.1.1.1'");
    }

    @Test
    void fileHooksAreDetectionsWithTheirArgsInFields() {
        Detection detection = detection(kprobe(
                "security_file_permission",
                "[{\"file_arg\": {\"path\": \"/run/secrets/kubernetes.io/serviceaccount/token\"}},"
                        + " {\"int_arg\": 4}]",
                ""));
        assertThat(detection.connection()).isNull();
        assertThat(detection.fields())
                .containsEntry("tetragon.event", "process_kprobe")
                .containsEntry("function_name", "security_file_permission")
                .containsEntry("policy_name", "network")
                .containsEntry("process.binary", "/usr/bin/curl")
                .containsEntry("process.arguments", "https://ebpf.io")
                .containsEntry("process.pod.container.image.name", "docker.io/tgraf/netperf:latest")
                .containsEntry("process.pod.pod_labels", Map.of("app.kubernetes.io/name", "xwing", "class", "xwing"))
                .containsEntry("parent.binary", "/bin/bash")
                .containsEntry("node_name", "kind-control-plane")
                .doesNotContainKey("time");
        assertThat(detection.fields().get("args"))
                .isEqualTo(List.of(
                        Map.of("file_arg", Map.of("path", "/run/secrets/kubernetes.io/serviceaccount/token")),
                        Map.of("int_arg", 4L)));
    }

    @Test
    void withoutPolicyNameTheRuleIsTheHook() {
        String event = kprobe("commit_creds", "[]", "").replace("\"policy_name\": \"network\"", "\"message\": \"\"");
        assertThat(detection(event).rule()).isEqualTo("commit_creds");
    }

    @Test
    void processExecIsInformationalTelemetry() {
        Detection detection = detection("""
            {"process_exec": {"process": {"binary": "/tmp/linpeas.sh", "start_time": "2024-03-22T12:19:16.974922315Z", %s}},
             "node_name": "n1", "time": "2024-03-22T12:19:16.974922129Z"}
            """.formatted(POD));
        assertThat(detection.rule()).isEqualTo("process_exec");
        assertThat(detection.severity()).isEqualTo(Severity.INFO);
        assertThat(detection.connection()).isNull();
        assertThat(detection.fields()).containsEntry("process.binary", "/tmp/linpeas.sh");
    }

    @Test
    void aProcessExecWithoutTimeHappenedAtItsStartTime() {
        Detection detection = detection("""
            {"process_exec": {"process": {"binary": "/usr/bin/netserver", "start_time": "2022-10-18T03:16:18.273546829Z", %s}},
             "node_name": "my-node"}
            """.formatted(POD));
        assertThat(detection.time()).isEqualTo(Instant.parse("2022-10-18T03:16:18.273546829Z"));
        assertThat(detection.fields()).doesNotContainKey("stanch.assumed");
    }

    @Test
    void aKprobeWithoutTimeGetsTheReceiptTime() {
        String event = kprobe("commit_creds", "[]", "").replace(", \"time\": \"2024-03-22T11:45:01.589721382Z\"", "");
        Detection detection = detection(event);
        assertThat(detection.time()).isEqualTo(Events.RECEIVED);
        assertThat(detection.fields()).containsEntry("stanch.assumed", List.of("time"));
    }

    @Test
    void exitsAndClosesAreNotAlerts() {
        assertThat(ignored("{\"process_exit\": {\"process\": {}}, \"time\": \"2022-05-11T12:54:45.616Z\"}"))
                .isEqualTo(
                        "Tetragon process_exit is not an alert: the process has ended; its process_exec was reported");
        assertThat(ignored("{\"process_close\": {\"process\": {}}}"))
                .startsWith("Tetragon process_close is not an alert");
        assertThat(ignored("{\"rate_limit_info\": {\"number_of_dropped_process_events\": 12}}"))
                .startsWith("Tetragon rate_limit_info is not an alert");
    }

    @Test
    void unknownKindsAreRejectedSoTheyAreSeen() {
        assertThat(rejected("{\"process_teleport\": {\"process\": {}}, \"time\": \"2024-01-01T00:00:00Z\"}"))
                .isEqualTo("unsupported Tetragon event kind 'process_teleport'");
        assertThat(rejected("{\"process_exec\": {}, \"process_kprobe\": {}}"))
                .isEqualTo("more than one Tetragon event kind: [process_exec, process_kprobe]");
    }

    @Test
    void hostProcessesHaveNoPodToActOn() {
        assertThat(rejected("""
                {"process_kprobe": {"process": {"binary": "/usr/sbin/insmod"}, "function_name": "do_init_module"},
                 "time": "2023-08-30T11:01:22.847638990Z"}
                """))
                .isEqualTo("no pod to act on: a host process (process_kprobe.process.pod is missing, binary"
                        + " '/usr/sbin/insmod')");
    }

    @Test
    void legacyProcessConnectIsEgressFromSourceToDestination() {
        Connection connection = detection("""
                {"process_connect": {"process": {"binary": "/usr/bin/nc", %s},
                   "source_ip": "10.88.0.6", "source_port": 48416,
                   "destination_ip": "64.225.45.153", "destination_port": 443, "protocol": "TCP"},
                 "node_name": "minikube", "time": "2022-02-01T18:01:56.419Z"}
                """.formatted(POD)).connection();
        assertThat(connection)
                .isEqualTo(
                        new Connection(Connection.Direction.EGRESS, "tcp", "64.225.45.153", 443, "10.88.0.6", 48416));
    }

    @Test
    void legacyProcessListenIsIngressOnItsPort() {
        Connection connection = detection("""
                {"process_listen": {"process": {"binary": "/usr/sbin/nginx", %s},
                   "ip": "::", "port": 80, "protocol": "TCP"},
                 "time": "2022-01-19T11:05:54.415Z"}
                """.formatted(POD)).connection();
        assertThat(connection).isEqualTo(new Connection(Connection.Direction.INGRESS, "tcp", "::", null, "::", 80));
    }

    @Test
    void aPodNameKubernetesWouldRefuseIsRejected() {
        assertThat(rejected(kprobe("commit_creds", "[]", "").replace("\"name\": \"xwing\"", "\"name\": \"X-Wing\"")))
                .isEqualTo("process_kprobe.process.pod.name: not a valid pod name (DNS-1123 subdomain): 'X-Wing'");
    }
}
