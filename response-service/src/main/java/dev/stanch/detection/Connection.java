package dev.stanch.detection;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One network flow seen from the target pod. {@code peerIp} and {@code localIp} are canonical
 * textual forms of parsed addresses; ports are 1–65535.
 *
 * @param direction egress when the pod opened the flow, ingress when the peer did
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param peerIp the other end's address
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

    public Connection {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(peerIp, "peerIp");
    }

    public enum Direction {
        EGRESS,
        INGRESS;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
