package dev.stanch.detection;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One network flow seen from the target pod. {@code peerIp} and {@code localIp} are canonical
 * textual forms of parsed addresses; ports are 1–65535.
 *
 * @param direction egress when the pod opened the flow, ingress when the peer did
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param peerIp the other end's address; for a listening socket the unspecified address ({@link
 *     #peerIsAny()})
 * @param peerPort the other end's port, where known
 * @param localIp the pod's own address, where known
 * @param localPort the pod's own port, where known
 */
public record Connection(
        Direction direction,
        String protocol,
        String peerIp,
        @Nullable Integer peerPort,
        @Nullable String localIp,
        @Nullable Integer localPort) {

    private static final java.util.Set<String> PROTOCOLS = java.util.Set.of("tcp", "udp", "sctp");

    public Connection {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(peerIp, "peerIp");
        if (!PROTOCOLS.contains(protocol)) {
            throw new IllegalArgumentException("protocol is tcp, udp or sctp, not " + protocol);
        }
        checkPort("peerPort", peerPort);
        checkPort("localPort", localPort);
    }

    private static void checkPort(String name, @Nullable Integer port) {
        if (port != null && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException(name + " is 1–65535, not " + port);
        }
    }

    /**
     * True when the peer is the unspecified address ({@code 0.0.0.0} or {@code ::}): the event was a
     * socket listening for anyone (Tetragon's {@code inet_csk_listen_start}), not a flow with one
     * peer. An action that cuts one peer has nothing to cut; one that closes the local port does.
     */
    public boolean peerIsAny() {
        return peerIp.equals("0.0.0.0") || peerIp.equals("::");
    }

    public enum Direction {
        EGRESS,
        INGRESS;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
