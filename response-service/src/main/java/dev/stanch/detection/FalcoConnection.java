package dev.stanch.detection;

import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The connection of a Falco alert, from whichever of Falco's endpoint fields the rule's output
 * carried: remote/local ({@code fd.rip}/{@code fd.lip}), server/client ({@code fd.sip}/{@code
 * fd.cip}), or the {@code fd.name} tuple {@code client:port->server:port}.
 *
 * <p>Who opened the flow: {@code fd.is_server} says it outright; else {@code evt.type} (connect is
 * the client, accept/listen the server); else the local end matched against client and server; else
 * the pod is taken to be the client (egress) — Falco's network rules that a responder acts on
 * ("Outbound Connection to C2 Servers", "Unexpected outbound connection destination", Talon's
 * networkpolicy test) are about a pod connecting out.
 */
final class FalcoConnection {

    private static final Set<String> CLIENT_EVENTS = Set.of("connect");
    private static final Set<String> SERVER_EVENTS = Set.of("accept", "accept4", "listen");

    private FalcoConnection() {}

    private record Endpoint(
            String ipField,
            String ip,
            String portField,
            @Nullable Object port) {}

    private record Tuple(Endpoint client, Endpoint server) {}

    private enum Role {
        CLIENT,
        SERVER,
        UNKNOWN
    }

    static @Nullable Connection of(JsonObject fields, Draft draft) {
        String fdType = fields.text("fd.type");
        if (fdType != null && !fdType.equals("ipv4") && !fdType.equals("ipv6")) {
            return null; // a file, a unix socket, a pipe: fd.name is a path, not a flow
        }
        Endpoint remote = endpoint(fields, "fd.rip", "fd.rport");
        Endpoint local = endpoint(fields, "fd.lip", "fd.lport");
        Endpoint server = endpoint(fields, "fd.sip", "fd.sport");
        Endpoint client = endpoint(fields, "fd.cip", "fd.cport");
        Tuple tuple = tuple(fields.text("fd.name"));
        if (client == null && server == null && tuple != null) {
            client = tuple.client();
            server = tuple.server();
        }
        Role role = role(fields, local, client, server);

        Endpoint peer = remote != null ? remote : role == Role.SERVER ? client : server;
        Endpoint self = local != null ? local : role == Role.SERVER ? server : client;
        if (peer == null) {
            return null; // no peer address: nothing to cut, the detection stands without a connection
        }
        String l4proto = fields.text("fd.l4proto");
        String protocol = Validation.protocol(l4proto);
        if (l4proto != null && protocol == null) {
            return null; // icmp, raw: not a flow a NetworkPolicy port can name
        }
        return new Connection(
                role == Role.SERVER ? Connection.Direction.INGRESS : Connection.Direction.EGRESS,
                draft.protocolOrTcp(protocol),
                Validation.ip(peer.ipField(), peer.ip()),
                Validation.port(peer.portField(), peer.port()),
                self == null ? null : Validation.ip(self.ipField(), self.ip()),
                self == null ? null : Validation.port(self.portField(), self.port()));
    }

    private static @Nullable Endpoint endpoint(JsonObject fields, String ipField, String portField) {
        String ip = fields.text(ipField);
        return ip == null ? null : new Endpoint(ipField, ip, portField, fields.get(portField));
    }

    private static Role role(
            JsonObject fields, @Nullable Endpoint local, @Nullable Endpoint client, @Nullable Endpoint server) {
        Object isServer = fields.get("fd.is_server");
        if (isServer instanceof Boolean b) {
            return b ? Role.SERVER : Role.CLIENT;
        }
        if (isServer instanceof String s && (s.equals("true") || s.equals("false"))) {
            return s.equals("true") ? Role.SERVER : Role.CLIENT;
        }
        String eventType = fields.text("evt.type");
        if (eventType != null) {
            String type = eventType.toLowerCase(Locale.ROOT);
            if (CLIENT_EVENTS.contains(type)) {
                return Role.CLIENT;
            }
            if (SERVER_EVENTS.contains(type)) {
                return Role.SERVER;
            }
        }
        if (local != null) {
            if (sameEndpoint(local, client)) {
                return Role.CLIENT;
            }
            if (sameEndpoint(local, server)) {
                return Role.SERVER;
            }
        }
        return Role.UNKNOWN;
    }

    private static boolean sameEndpoint(Endpoint a, @Nullable Endpoint b) {
        return b != null
                && a.ip().equals(b.ip())
                && (a.port() == null
                        || b.port() == null
                        || String.valueOf(a.port()).equals(String.valueOf(b.port())));
    }

    /**
     * {@code fd.name} of a socket: {@code 10.0.0.1:34567->8.8.8.8:53}, IPv6 written the same way
     * ({@code ::1:34567->::1:80}, so the port is what follows the last colon) or in brackets. Null
     * for anything else (a file path, a listening socket's single address).
     */
    private static @Nullable Tuple tuple(@Nullable String name) {
        if (name == null) {
            return null;
        }
        int arrow = name.indexOf("->");
        if (arrow < 0 || name.indexOf("->", arrow + 2) >= 0) {
            return null;
        }
        Endpoint client = hostPort(name.substring(0, arrow));
        Endpoint server = hostPort(name.substring(arrow + 2));
        return client == null || server == null ? null : new Tuple(client, server);
    }

    private static @Nullable Endpoint hostPort(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        return new Endpoint("fd.name", text.substring(0, colon), "fd.name", text.substring(colon + 1));
    }
}
