package dev.stanch.netpol;

import java.util.Objects;

/**
 * How the connectivity between a subject and one peer changes between two policy sets (before and
 * after an action).
 *
 * @param subject the pod or workload whose connectivity is compared
 * @param direction {@code EGRESS}: from the subject to the peer; {@code INGRESS}: from the peer to
 *     the subject
 * @param peer the other end: a workload, a pod, or a range of external addresses that the policies
 *     treat alike
 * @param before the connections allowed before
 * @param after the connections allowed after
 */
public record ConnectivityChange(
        Endpoint subject, Direction direction, Endpoint peer, ConnectionSet before, ConnectionSet after) {

    public ConnectivityChange {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
    }

    /** Connections that were allowed and no longer are: what the action takes away. */
    public ConnectionSet lost() {
        return before.minus(after);
    }

    /** Connections that were denied and now are allowed. */
    public ConnectionSet gained() {
        return after.minus(before);
    }

    @Override
    public String toString() {
        String arrow = direction == Direction.EGRESS ? subject + " => " + peer : peer + " => " + subject;
        StringBuilder text = new StringBuilder(arrow).append(" :");
        if (!lost().isEmpty()) {
            text.append(" lost ").append(lost());
        }
        if (!gained().isEmpty()) {
            text.append(lost().isEmpty() ? " gained " : "; gained ").append(gained());
        }
        return text.toString();
    }
}
