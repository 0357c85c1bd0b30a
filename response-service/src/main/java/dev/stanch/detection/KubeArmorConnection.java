package dev.stanch.detection;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The connection of a KubeArmor network event. KubeArmor writes the socket address into text:
 *
 * <ul>
 *   <li>connect()/accept(): {@code Resource "sa_family=AF_INET sin_port=53 sin_addr=10.0.0.10"},
 *       {@code Data "syscall=SYS_CONNECT fd=3"} — the address is the peer;
 *   <li>its TCP kprobes: {@code Resource "remoteip=… port=… protocol=TCP"}, {@code Data
 *       "kprobe=tcp_connect …"} or {@code kprobe=tcp_accept};
 *   <li>DNS over UDP: {@code Resource "sa_family=AF_INET sin_port=53"}, {@code Data
 *       "kfunc=UDP_SENDMSG,domain=…,daddr=10.43.0.10,qtype=A"};
 *   <li>network firewall policies: {@code Resource "INGRESS"|"EGRESS"} and {@code EventData
 *       {SourceIP, SourcePort, DestinationIP, DestinationPort, Protocol}}.
 * </ul>
 *
 * socket(), bind() and listen() carry no peer (bind names the pod's own address), so they give no
 * connection.
 */
final class KubeArmorConnection {

    private static final Set<String> IP_FAMILIES = Set.of("AF_INET", "AF_INET6");

    private KubeArmorConnection() {}

    static @Nullable Connection of(JsonObject event, Draft draft) {
        String operation = event.text("Operation");
        if (!"Network".equals(operation) && !"NetworkFirewall".equals(operation)) {
            return null;
        }
        String resource = event.text("Resource");
        if ("INGRESS".equals(resource) || "EGRESS".equals(resource)) {
            return firewall(event, resource.equals("INGRESS"), draft);
        }
        Map<String, String> res = tokens(resource);
        Map<String, String> data = tokens(event.text("Data"));
        String family = res.get("sa_family");
        if (family != null && !IP_FAMILIES.contains(family)) {
            return null;
        }
        String kprobe = data.getOrDefault("kprobe", "");
        if (res.containsKey("remoteip")) {
            String protocol = Validation.protocol(res.get("protocol"));
            return connection(
                    kprobe.contains("accept") ? Connection.Direction.INGRESS : Connection.Direction.EGRESS,
                    draft.protocolOrTcp(protocol),
                    "Resource remoteip",
                    res.get("remoteip"),
                    "Resource port",
                    res.get("port"));
        }
        if ("UDP_SENDMSG".equals(data.get("kfunc"))) {
            return connection(
                    Connection.Direction.EGRESS,
                    "udp",
                    "Data daddr",
                    data.get("daddr"),
                    "Resource sin_port",
                    res.get("sin_port"));
        }
        String syscall = data.getOrDefault("syscall", "");
        boolean v6 = !res.containsKey("sin_addr") && res.containsKey("sin6_addr");
        String address = res.get(v6 ? "sin6_addr" : "sin_addr");
        if (address == null || syscall.equals("SYS_BIND")) {
            return null;
        }
        return connection(
                syscall.contains("ACCEPT") ? Connection.Direction.INGRESS : Connection.Direction.EGRESS,
                draft.protocolOrTcp(Validation.protocol(res.get("protocol"))),
                v6 ? "Resource sin6_addr" : "Resource sin_addr",
                address,
                v6 ? "Resource sin6_port" : "Resource sin_port",
                res.get(v6 ? "sin6_port" : "sin_port"));
    }

    private static @Nullable Connection connection(
            Connection.Direction direction,
            String protocol,
            String ipField,
            @Nullable String ip,
            String portField,
            @Nullable String port) {
        if (ip == null || ip.isBlank()) {
            return null;
        }
        return new Connection(
                direction, protocol, Validation.ip(ipField, ip), Validation.port(portField, port), null, null);
    }

    /** A firewall event: INGRESS names the pod as destination, EGRESS as source. */
    private static @Nullable Connection firewall(JsonObject event, boolean ingress, Draft draft) {
        JsonObject eventData = event.object("EventData");
        Map<String, String> values = new HashMap<>();
        if (eventData != null) {
            eventData.values().forEach((key, value) -> values.put(key, String.valueOf(value)));
        } else {
            values.putAll(tokens(event.text("Data")));
        }
        String peer = ingress ? "Source" : "Destination";
        String local = ingress ? "Destination" : "Source";
        String peerIp = values.get(peer + "IP");
        if (peerIp == null || peerIp.isBlank()) {
            return null;
        }
        String protocol = Validation.protocol(values.get("Protocol"));
        if (protocol == null && values.containsKey("Protocol")) {
            return null; // ICMP: no port-level flow
        }
        String localIp = values.get(local + "IP");
        return new Connection(
                ingress ? Connection.Direction.INGRESS : Connection.Direction.EGRESS,
                draft.protocolOrTcp(protocol),
                Validation.ip("EventData " + peer + "IP", peerIp),
                Validation.port("EventData " + peer + "Port", values.get(peer + "Port")),
                localIp == null || localIp.isBlank() ? null : Validation.ip("EventData " + local + "IP", localIp),
                Validation.port("EventData " + local + "Port", values.get(local + "Port")));
    }

    /** {@code key=value} pairs separated by blanks or commas; the first '=' splits. */
    static Map<String, String> tokens(@Nullable String text) {
        Map<String, String> tokens = new HashMap<>();
        if (text == null) {
            return tokens;
        }
        for (String token : text.split("[\\s,]+")) {
            int equals = token.indexOf('=');
            if (equals > 0) {
                tokens.putIfAbsent(token.substring(0, equals), token.substring(equals + 1));
            }
        }
        return tokens;
    }
}
