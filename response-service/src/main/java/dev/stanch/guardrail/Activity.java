package dev.stanch.guardrail;

import java.time.Instant;
import java.util.Optional;

/**
 * What the guardrails need to know about what Stanch is doing: a read-only view that the ledger
 * answers with queries, and tests with a fake. The {@link Gate} asks only what the rule it is at
 * needs, in its order.
 *
 * <p>Blocked and dry-run actions are never counted: they change nothing, and counting them would let
 * a storm of blocked actions keep the rate limit shut by itself. What a caller counts must include
 * the actions it admitted but has not finished recording, or must be read and the decision recorded
 * under one lock: otherwise two admissions at once can both take the last place.
 */
public interface Activity {

    /**
     * Actions created at or after {@code since}, anywhere, that the guardrails let through to change
     * the cluster: in the ledger's terms, any status but planned, blocked and dry-run (an action
     * rejected or rolled back since still counts: it took its place when it started).
     */
    long startedSince(Instant since);

    /** As {@link #startedSince(Instant)}, for actions on pods in {@code namespace}. */
    long startedSince(Instant since, String namespace);

    /**
     * Actions that hold changes in the cluster or may make some: in the ledger's terms, pending
     * approval, approved, applying, applied, failed (it may have left changes behind) and rolling back.
     */
    long active();

    /** The pause switch: present while Stanch is paused. */
    Optional<Pause> pause();
}
