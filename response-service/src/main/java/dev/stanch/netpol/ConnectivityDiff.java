package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;

/**
 * The difference in one subject's connectivity between two policy sets: its blast radius when the
 * second set is the first plus an action.
 *
 * @param subject the pod or workload compared
 * @param changes one entry per peer and direction whose allowed connections differ, ordered by
 *     direction (egress first) and peer
 */
public record ConnectivityDiff(Endpoint subject, List<ConnectivityChange> changes) {

    public ConnectivityDiff {
        Objects.requireNonNull(subject, "subject");
        changes = List.copyOf(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /** The changes that take connections away. */
    public List<ConnectivityChange> losses() {
        return changes.stream().filter(change -> !change.lost().isEmpty()).toList();
    }

    /** The changes that open connections that were closed. */
    public List<ConnectivityChange> gains() {
        return changes.stream().filter(change -> !change.gained().isEmpty()).toList();
    }
}
