package dev.stanch.ledger;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Told of each action's creation and transition once it is committed — never of one rolled back —
 * on the instance that made it. Keeps what watches the ledger (the service's metrics) out of it: the
 * ledger knows nothing of who listens.
 *
 * <p>Called on the thread that committed, after the commit; a listener must be quick and must not
 * call the ledger. What it throws is dropped: the transition stands.
 */
@FunctionalInterface
public interface TransitionListener {

    /**
     * @param action the action after the transition
     * @param from the status it left; null for its creation (into planned)
     * @param detectedAt the time of the action's detection (the detector's clock), read in the same
     *     transaction; given only on entering applied, null otherwise
     */
    void committed(Action action, @Nullable ActionStatus from, @Nullable Instant detectedAt);
}
