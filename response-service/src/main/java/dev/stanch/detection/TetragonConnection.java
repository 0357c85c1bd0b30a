package dev.stanch.detection;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The connection of a Tetragon event: the socket a network hook saw ({@code sock_arg} or {@code
 * skb_arg} in {@code args}, or in {@code return} for kretprobes such as {@code inet_csk_accept}),
 * or the flat fields of the legacy {@code process_connect}/{@code process_listen} kinds.
 *
 * <p>A socket's {@code saddr}/{@code sport} are always the pod's end and {@code daddr}/{@code
 * dport} the other end. Who opened the flow comes from the hook: {@code inet_csk_listen_start} and
 * the accept hooks are the pod serving (ingress); {@code tcp_connect}, {@code tcp_sendmsg}, {@code
 * udp_sendmsg} and every other hook are taken as the pod sending (egress) — a socket does not say
 * which side connected, so data the pod sends on a connection it accepted also reads as egress.
 */
final class TetragonConnection {

    private static final Set<String> SOCKET_ARGS = Set.of("sock_arg", "skb_arg");
    private static final Set<String> IP_FAMILIES = Set.of("AF_INET", "AF_INET6");

    private TetragonConnection() {}

    static @Nullable Connection fromSocketArgs(JsonObject body, Draft draft) {
        JsonObject socket = socket(body);
        if (socket == null) {
            return null;
        }
        String family = socket.text("family");
        if (family != null && !IP_FAMILIES.contains(family)) {
            return null; // AF_UNIX and friends: no address to cut
        }
        String function = body.text("function_name");
        String hook = function == null ? "" : function;
        boolean serving = hook.contains("accept") || hook.contains("listen");

        String protocol = Validation.protocol(socket.get("protocol"));
        if (protocol == null && socket.has("protocol")) {
            return null; // a raw or ICMP socket
        }
        if (protocol == null) {
            protocol = hook.contains("tcp") ? "tcp" : hook.contains("udp") ? "udp" : null;
        }

        String localIp = ip(socket, "saddr");
        String peerIp = ip(socket, "daddr");
        if (peerIp == null) {
            if (!serving) {
                return null; // no peer address: the detection stands without a connection
            }
            peerIp = Validation.unspecifiedLike(localIp);
        }
        return new Connection(
                serving ? Connection.Direction.INGRESS : Connection.Direction.EGRESS,
                draft.protocolOrTcp(protocol),
                peerIp,
                Validation.port(socket.pathOf("dport"), socket.get("dport")),
                localIp,
                Validation.port(socket.pathOf("sport"), socket.get("sport")));
    }

    /** The first socket argument of the hook, or the socket it returned. */
    private static @Nullable JsonObject socket(JsonObject body) {
        List<?> args = body.list("args");
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i) instanceof Map<?, ?>) {
                JsonObject arg = new JsonObject(body.pathOf("args[" + i + "]"), cast(args.get(i)));
                for (String key : SOCKET_ARGS) {
                    JsonObject socket = arg.object(key);
                    if (socket != null) {
                        return socket;
                    }
                }
            }
        }
        JsonObject returned = body.object("return");
        if (returned != null) {
            for (String key : SOCKET_ARGS) {
                JsonObject socket = returned.object(key);
                if (socket != null) {
                    return socket;
                }
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked") // plain JSON objects have string keys
    private static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) map;
    }

    /**
     * The legacy kinds: {@code process_connect} has {@code source_ip}/{@code source_port} (the pod)
     * and {@code destination_ip}/{@code destination_port}; {@code process_listen} has the listening
     * {@code ip}/{@code port}, and any peer.
     */
    static @Nullable Connection legacy(String kind, JsonObject body, Draft draft) {
        String protocol = Validation.protocol(body.get("protocol"));
        if (protocol == null && body.has("protocol")) {
            return null;
        }
        if (kind.equals("process_listen")) {
            String localIp = ip(body, "ip");
            return new Connection(
                    Connection.Direction.INGRESS,
                    draft.protocolOrTcp(protocol),
                    Validation.unspecifiedLike(localIp),
                    null,
                    localIp,
                    Validation.port(body.pathOf("port"), body.get("port")));
        }
        String peerIp = ip(body, "destination_ip");
        if (peerIp == null) {
            return null;
        }
        return new Connection(
                Connection.Direction.EGRESS,
                draft.protocolOrTcp(protocol),
                peerIp,
                Validation.port(body.pathOf("destination_port"), body.get("destination_port")),
                ip(body, "source_ip"),
                Validation.port(body.pathOf("source_port"), body.get("source_port")));
    }

    private static @Nullable String ip(JsonObject object, String key) {
        String text = object.text(key);
        return text == null ? null : Validation.ip(object.pathOf(key), text);
    }
}
