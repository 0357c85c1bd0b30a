package dev.stanch.action;

import com.google.common.net.InetAddresses;
import dev.stanch.netpol.ConnectionSet;
import dev.stanch.netpol.Protocol;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One flow a block cuts, as its policy records it in {@link StanchLabels#BLOCKED_FLOW}: the peer's
 * address, the label that tells the peer pod apart (when the peer is a pod), and either one protocol
 * and port or — for the whole address — neither.
 *
 * @param peerIp the peer's address, canonical text
 * @param peerLabel the label key the peer pod carries for this block, or null for an external peer
 * @param protocol the protocol cut, or null when every port of every protocol is cut
 * @param port the port cut, or null with a null protocol
 */
record BlockedFlow(
        String peerIp,
        @Nullable String peerLabel,
        @Nullable Protocol protocol,
        @Nullable Integer port) {

    BlockedFlow {
        peerIp = canonical(peerIp);
        if ((protocol == null) != (port == null)) {
            throw new IllegalArgumentException("a blocked flow names a protocol and a port, or neither");
        }
    }

    boolean wholeAddress() {
        return protocol == null;
    }

    boolean ipv6() {
        return InetAddresses.forString(peerIp) instanceof Inet6Address;
    }

    /** The peer as a CIDR of one address. */
    String cidr() {
        return peerIp + (ipv6() ? "/128" : "/32");
    }

    /** What is cut, as connections to or from the peer. */
    ConnectionSet connections() {
        return protocol == null ? ConnectionSet.ALL : ConnectionSet.of(protocol, Objects.requireNonNull(port));
    }

    /** The annotation form: {@code <ip> <PROTOCOL|*> <port|*>[ <peer label>]}. */
    String encode() {
        return peerIp + " " + (protocol == null ? "*" : protocol.name()) + " " + (port == null ? "*" : port)
                + (peerLabel == null ? "" : " " + peerLabel);
    }

    static BlockedFlow decode(String text) {
        String[] parts = text.trim().split(" ");
        if (parts.length < 3 || parts.length > 4) {
            throw new IllegalArgumentException("not a blocked flow: '" + text + "'");
        }
        Protocol protocol = parts[1].equals("*") ? null : Protocol.valueOf(parts[1]);
        Integer port = parts[2].equals("*") ? null : Integer.valueOf(parts[2]);
        return new BlockedFlow(parts[0], parts.length == 4 ? parts[3] : null, protocol, port);
    }

    @Override
    public String toString() {
        return (protocol == null ? "all ports of " + peerIp : protocol.name() + " " + peerIp + ":" + port)
                + (peerLabel == null ? "" : " (a pod)");
    }

    static String canonical(String ip) {
        InetAddress address = InetAddresses.forString(Objects.requireNonNull(ip, "peerIp"));
        return InetAddresses.toAddrString(address);
    }
}
