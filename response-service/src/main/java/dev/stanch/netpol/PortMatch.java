package dev.stanch.netpol;

import org.jspecify.annotations.Nullable;

/**
 * One port entry of a rule: a numbered port or range, or a named port that is resolved against the
 * destination pod's container ports (so the same rule may allow different port numbers on different
 * pods, and nothing at all on an external address).
 */
sealed interface PortMatch {

    boolean matches(Protocol protocol, int port, @Nullable PodModel destination);

    ConnectionSet connections(@Nullable PodModel destination);

    /**
     * Ports {@code from..to} of one protocol (a single port has {@code from == to}).
     *
     * @param protocol the protocol
     * @param from first port
     * @param to last port
     */
    record Numbered(Protocol protocol, int from, int to) implements PortMatch {
        @Override
        public boolean matches(Protocol protocol, int port, @Nullable PodModel destination) {
            return this.protocol == protocol && port >= from && port <= to;
        }

        @Override
        public ConnectionSet connections(@Nullable PodModel destination) {
            return ConnectionSet.of(protocol, from, to);
        }
    }

    /**
     * A named container port.
     *
     * @param name the port name
     * @param protocol the protocol the rule requires (NetworkPolicy), or {@code null} when the rule
     *     takes the container port's own protocol (AdminNetworkPolicy, ClusterNetworkPolicy)
     */
    record Named(String name, @Nullable Protocol protocol) implements PortMatch {
        @Override
        public boolean matches(Protocol protocol, int port, @Nullable PodModel destination) {
            if (destination == null) {
                return false;
            }
            for (PodModel.ContainerPort containerPort : destination.ports()) {
                if (name.equals(containerPort.name())
                        && (this.protocol == null || this.protocol == containerPort.protocol())
                        && containerPort.protocol() == protocol
                        && containerPort.port() == port) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public ConnectionSet connections(@Nullable PodModel destination) {
            if (destination == null) {
                return ConnectionSet.NONE;
            }
            ConnectionSet result = ConnectionSet.NONE;
            for (PodModel.ContainerPort containerPort : destination.ports()) {
                if (name.equals(containerPort.name()) && (protocol == null || protocol == containerPort.protocol())) {
                    result = result.union(ConnectionSet.of(containerPort.protocol(), containerPort.port()));
                }
            }
            return result;
        }
    }
}
