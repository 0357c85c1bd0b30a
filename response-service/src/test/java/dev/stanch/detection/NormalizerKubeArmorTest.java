package dev.stanch.detection;

import static dev.stanch.detection.Events.detection;
import static dev.stanch.detection.Events.ignored;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** KubeArmor alerts and logs: severities, network details inside strings, host events. */
class NormalizerKubeArmorTest {

    /** A MatchedPolicy alert in pod default/nginx-1 with the given extra keys. */
    private static String alert(String extra) {
        return """
        {"Timestamp": 1696588301, "UpdatedTime": "2023-10-06T10:31:41.935146Z",
         "ClusterName": "default", "HostName": "node-1", "NamespaceName": "default",
         "PodName": "nginx-1", "ContainerName": "nginx", "ProcessName": "/usr/bin/curl",
         "PolicyName": "ksp-egress", "Type": "MatchedPolicy", "Action": "Audit",
         "Result": "Passed" %s}
        """.formatted(extra.isEmpty() ? "" : ", " + extra);
    }

    @ParameterizedTest
    @CsvSource({"1, LOW", "3, LOW", "4, MEDIUM", "6, MEDIUM", "7, HIGH", "8, HIGH", "9, CRITICAL", "10, CRITICAL"})
    void severitiesAreBandedLikeCvss(String level, Severity severity) {
        assertThat(detection(alert("\"Severity\": \"" + level + "\"")).severity())
                .isEqualTo(severity);
        assertThat(detection(alert("\"Severity\": " + level)).severity()).isEqualTo(severity);
    }

    @Test
    void alertsWithoutSeverityAreLowAndLogsAreInfo() {
        assertThat(detection(alert("")).severity()).isEqualTo(Severity.LOW);
        assertThat(detection(alert("\"Severity\": \"\"")).severity()).isEqualTo(Severity.LOW);
        assertThat(detection(alert("").replace("MatchedPolicy", "ContainerLog")).severity())
                .isEqualTo(Severity.INFO);
    }

    @ParameterizedTest
    @CsvSource({"0", "11", "high", "-3"})
    void severitiesOutsideOneToTenAreRejected(String level) {
        assertThat(rejected(alert("\"Severity\": \"" + level + "\"")))
                .isEqualTo("Severity: not a KubeArmor severity 1–10: '" + level + "'");
    }

    @Test
    void theRuleIsThePolicyOrForALogItsType() {
        assertThat(detection(alert("")).rule()).isEqualTo("ksp-egress");
        String log = alert("")
                .replace("\"PolicyName\": \"ksp-egress\", \"Type\": \"MatchedPolicy\"", "\"Type\": \"ContainerLog\"");
        assertThat(detection(log).rule()).isEqualTo("ContainerLog");
    }

    @Test
    void connectSyscallNamesThePeerInResource() {
        Detection detection =
                detection(alert("\"Operation\": \"Network\", \"Resource\": \"sa_family=AF_INET sin_port=53"
                        + " sin_addr=10.0.0.10\", \"Data\": \"syscall=SYS_CONNECT fd=3\""));
        assertThat(detection.connection())
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "tcp", "10.0.0.10", 53, null, null));
        // connect() does not say TCP or UDP
        assertThat(detection.fields()).containsEntry("stanch.assumed", List.of("protocol"));
    }

    @Test
    void keyOrderInsideResourceDoesNotMatter() {
        Connection connection = detection(
                        alert("\"Operation\": \"Network\", \"Resource\": \"sin_addr=10.0.0.10 sin_port=8080"
                                + " sa_family=AF_INET\", \"Data\": \"syscall=SYS_CONNECT fd=3\""))
                .connection();
        assertThat(connection.peerIp()).isEqualTo("10.0.0.10");
        assertThat(connection.peerPort()).isEqualTo(8080);
    }

    @Test
    void acceptSyscallIsIngressFromThePeer() {
        Connection connection = detection(
                        alert("\"Operation\": \"Network\", \"Resource\": \"sa_family=AF_INET6 sin6_port=40000"
                                + " sin6_addr=2001:db8::9\", \"Data\": \"syscall=SYS_ACCEPT fd=5\""))
                .connection();
        assertThat(connection.direction()).isEqualTo(Connection.Direction.INGRESS);
        assertThat(connection.peerIp()).isEqualTo("2001:db8::9");
        assertThat(connection.peerPort()).isEqualTo(40000);
    }

    @Test
    void tcpKprobesNameTheRemoteEnd() {
        Connection connect = detection(
                        alert("\"Operation\": \"Network\", \"Resource\": \"remoteip=93.184.216.34 port=443"
                                + " protocol=TCP\", \"Data\": \"kprobe=tcp_connect domain=AF_INET\""))
                .connection();
        assertThat(connect)
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "tcp", "93.184.216.34", 443, null, null));
        Connection accept = detection(
                        alert("\"Operation\": \"Network\", \"Resource\": \"remoteip=203.0.113.5 port=51000"
                                + " protocol=TCP\", \"Data\": \"kprobe=tcp_accept domain=AF_INET\""))
                .connection();
        assertThat(accept.direction()).isEqualTo(Connection.Direction.INGRESS);
    }

    @Test
    void dnsOverUdpNamesTheResolverInData() {
        Connection connection = detection(
                        alert("\"Operation\": \"Network\", \"Resource\": \"sa_family=AF_INET sin_port=53\","
                                + " \"Data\": \"kfunc=UDP_SENDMSG,domain=example.com,daddr=10.43.0.10,qtype=A\""))
                .connection();
        assertThat(connection)
                .isEqualTo(new Connection(Connection.Direction.EGRESS, "udp", "10.43.0.10", 53, null, null));
    }

    @Test
    void socketAndBindCarryNoPeer() {
        assertThat(detection(alert("\"Operation\": \"Network\", \"Resource\": \"domain=AF_INET"
                                + " type=SOCK_DGRAM|SOCK_NONBLOCK protocol=0\", \"Data\": \"syscall=SYS_SOCKET\""))
                        .connection())
                .isNull();
        assertThat(detection(alert("\"Operation\": \"Network\", \"Resource\": \"sa_family=AF_INET sin_port=80"
                                + " sin_addr=0.0.0.0\", \"Data\": \"syscall=SYS_BIND fd=3\""))
                        .connection())
                .isNull();
    }

    @Test
    void anInvalidAddressInsideResourceIsRejected() {
        assertThat(rejected(alert("\"Operation\": \"Network\", \"Resource\": \"sa_family=AF_INET sin_port=53"
                        + " sin_addr=10.0.0.300\", \"Data\": \"syscall=SYS_CONNECT fd=3\"")))
                .isEqualTo("Resource sin_addr: not an IP address: '10.0.0.300'");
    }

    @Test
    void networkFirewallEventsOfAPodReadEventData() {
        Connection connection = detection(alert("\"Operation\": \"NetworkFirewall\", \"Resource\": \"INGRESS\","
                        + " \"EventData\": {\"DestinationIP\": \"10.244.0.7\", \"DestinationPort\": \"22\","
                        + " \"Protocol\": \"TCP\", \"SourceIP\": \"192.168.29.42\", \"SourcePort\": \"53262\"}"))
                .connection();
        assertThat(connection)
                .isEqualTo(
                        new Connection(Connection.Direction.INGRESS, "tcp", "192.168.29.42", 53262, "10.244.0.7", 22));
    }

    @Test
    void hostEventsHaveNoPodToActOn() {
        assertThat(rejected("""
                {"Timestamp": 1639803960, "HostName": "pandora", "PolicyName": "hsp-proc",
                 "Severity": "1", "Type": "MatchedHostPolicy", "Operation": "Process"}
                """))
                .isEqualTo("no pod to act on: a host event (Type 'MatchedHostPolicy', HostName 'pandora')");
    }

    @Test
    void aPodWithoutNamespaceIsRejected() {
        assertThat(rejected(alert("").replace("\"NamespaceName\": \"default\",", "")))
                .isEqualTo("no pod to act on: NamespaceName is missing");
    }

    @Test
    void throttlingNoticesAreIgnored() {
        assertThat(ignored("""
                {"Timestamp": 1700000000, "HostName": "node-1", "Type": "SystemEvent",
                 "Operation": "AlertThreshold", "MaxAlertsPerSec": 10}
                """)).isEqualTo("KubeArmor SystemEvent (AlertThreshold), not an alert");
    }

    @Test
    void timeIsUpdatedTimeElseTheTimestampInSeconds() {
        assertThat(detection(alert("")).time()).isEqualTo(Instant.parse("2023-10-06T10:31:41.935146Z"));
        String secondsOnly = alert("").replace("\"UpdatedTime\": \"2023-10-06T10:31:41.935146Z\",", "");
        assertThat(detection(secondsOnly).time()).isEqualTo(Instant.parse("2023-10-06T10:31:41Z"));
    }

    @Test
    void fieldsAreTheAlertsKeysVerbatim() {
        Detection detection =
                detection(alert("\"Owner\": {\"Ref\": \"Deployment\", \"Name\": \"nginx\"}, \"ATags\": [\"MITRE\"]"));
        assertThat(detection.fields())
                .containsEntry("PolicyName", "ksp-egress")
                .containsEntry("ProcessName", "/usr/bin/curl")
                .containsEntry("Result", "Passed")
                .containsEntry("Action", "Audit")
                .containsEntry("ATags", List.of("MITRE"))
                .containsEntry("Owner", java.util.Map.of("Ref", "Deployment", "Name", "nginx"));
    }
}
