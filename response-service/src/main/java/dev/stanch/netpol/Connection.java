package dev.stanch.netpol;

import java.util.Objects;

/**
 * One line of the connectivity report: what {@code source} may open to {@code destination}.
 *
 * @param source the node that opens the connections
 * @param destination the node that accepts them
 * @param connections the allowed protocols and ports, never empty
 */
public record Connection(Endpoint source, Endpoint destination, ConnectionSet connections) {

    public Connection {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(connections, "connections");
    }

    /** np-guard's {@code list} line: {@code src => dst : connections}. */
    @Override
    public String toString() {
        return source + " => " + destination + " : " + connections;
    }
}
