package dev.stanch.netpol;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An immutable set of connections — protocol and destination port pairs — such as the connections
 * one node may open to another. Printed the way np-guard's netpol-analyzer prints them: {@code All
 * Connections}, {@code No Connections}, or {@code TCP 80,8080-8090,UDP 53} (one entry per protocol,
 * sorted by protocol name).
 */
public final class ConnectionSet {

    public static final ConnectionSet ALL = new ConnectionSet(PortSet.ALL, PortSet.ALL, PortSet.ALL);
    public static final ConnectionSet NONE = new ConnectionSet(PortSet.NONE, PortSet.NONE, PortSet.NONE);

    private final PortSet tcp;
    private final PortSet udp;
    private final PortSet sctp;

    private ConnectionSet(PortSet tcp, PortSet udp, PortSet sctp) {
        this.tcp = tcp;
        this.udp = udp;
        this.sctp = sctp;
    }

    /** One port of one protocol. */
    public static ConnectionSet of(Protocol protocol, int port) {
        return of(protocol, port, port);
    }

    /** The ports {@code from..to} (inclusive, clipped to 1–65535) of one protocol. */
    public static ConnectionSet of(Protocol protocol, int from, int to) {
        return of(protocol, PortSet.range(from, to));
    }

    /** Every port of one protocol. */
    public static ConnectionSet allOf(Protocol protocol) {
        return of(protocol, PortSet.ALL);
    }

    static ConnectionSet of(Protocol protocol, PortSet ports) {
        return switch (protocol) {
            case TCP -> new ConnectionSet(ports, PortSet.NONE, PortSet.NONE);
            case UDP -> new ConnectionSet(PortSet.NONE, ports, PortSet.NONE);
            case SCTP -> new ConnectionSet(PortSet.NONE, PortSet.NONE, ports);
        };
    }

    public boolean contains(Protocol protocol, int port) {
        return ports(protocol).contains(port);
    }

    public boolean isEmpty() {
        return tcp.isEmpty() && udp.isEmpty() && sctp.isEmpty();
    }

    public boolean isAll() {
        return tcp.isAll() && udp.isAll() && sctp.isAll();
    }

    public ConnectionSet union(ConnectionSet other) {
        if (isEmpty() || other.isAll()) {
            return other;
        }
        if (other.isEmpty() || isAll()) {
            return this;
        }
        return canonical(tcp.union(other.tcp), udp.union(other.udp), sctp.union(other.sctp));
    }

    public ConnectionSet intersect(ConnectionSet other) {
        if (isEmpty() || other.isAll()) {
            return this;
        }
        if (other.isEmpty() || isAll()) {
            return other;
        }
        return canonical(tcp.intersect(other.tcp), udp.intersect(other.udp), sctp.intersect(other.sctp));
    }

    public ConnectionSet minus(ConnectionSet other) {
        if (isEmpty() || other.isEmpty()) {
            return this;
        }
        if (other.isAll()) {
            return NONE;
        }
        return canonical(tcp.minus(other.tcp), udp.minus(other.udp), sctp.minus(other.sctp));
    }

    PortSet ports(Protocol protocol) {
        return switch (protocol) {
            case TCP -> tcp;
            case UDP -> udp;
            case SCTP -> sctp;
        };
    }

    private static ConnectionSet canonical(PortSet tcp, PortSet udp, PortSet sctp) {
        if (tcp.isEmpty() && udp.isEmpty() && sctp.isEmpty()) {
            return NONE;
        }
        if (tcp.isAll() && udp.isAll() && sctp.isAll()) {
            return ALL;
        }
        return new ConnectionSet(tcp, udp, sctp);
    }

    @Override
    public String toString() {
        if (isAll()) {
            return "All Connections";
        }
        if (isEmpty()) {
            return "No Connections";
        }
        // np-guard sorts the "PROTOCOL ports" strings; with one entry per protocol that is the
        // alphabetical order of the protocol names.
        List<String> parts = new ArrayList<>(3);
        if (!sctp.isEmpty()) {
            parts.add("SCTP " + sctp);
        }
        if (!tcp.isEmpty()) {
            parts.add("TCP " + tcp);
        }
        if (!udp.isEmpty()) {
            parts.add("UDP " + udp);
        }
        return String.join(",", parts);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ConnectionSet that
                && tcp.equals(that.tcp)
                && udp.equals(that.udp)
                && sctp.equals(that.sctp);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tcp, udp, sctp);
    }
}
