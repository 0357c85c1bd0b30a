package dev.stanch.ledger;

import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * What walking the audit chain, and comparing every action with its rows, found.
 *
 * @param rows the rows read
 * @param headSeq the seq the chain head records as the last row
 * @param breaks every problem found, in seq order (at most {@link #MAX_REPORTED}; {@code
 *     breakCount} counts them all)
 * @param breakCount how many problems there are
 */
public record AuditVerification(long rows, long headSeq, List<Break> breaks, long breakCount) {

    public static final int MAX_REPORTED = 1000;

    public AuditVerification {
        breaks = List.copyOf(breaks);
    }

    /**
     * True when no row was edited, deleted or inserted, and every action's row says what its audit
     * rows recorded: the chain holds.
     */
    public boolean intact() {
        return breakCount == 0;
    }

    /**
     * One problem: a broken row, or an action whose row does not say what its audit rows recorded.
     *
     * @param seq the row's seq (for a missing row, the seq it had; for an action, the row that
     *     recorded what its row contradicts; 0 for an action without any audit row)
     * @param actionId the action the row belongs to (as the row reads now, which may be edited); null
     *     for a missing row
     * @param kind what is wrong
     * @param message what is wrong, for people: names the row or the action
     */
    public record Break(long seq, @Nullable UUID actionId, Kind kind, String message) {}

    public enum Kind {
        /** The row's columns do not give its hash: something in it was changed after it was written. */
        EDITED,
        /** No row has this seq, though later rows (or the chain head) show it was written: deleted. */
        MISSING,
        /**
         * The row's prev_hash is not the previous row's hash, with no gap between them: the previous
         * row was rewritten together with its hash, or this row took the place of the one written.
         */
        UNLINKED,
        /** The row lies past the end the chain head records: it was not appended by the ledger. */
        BEYOND_HEAD,
        /** The chain head records another hash for the last row: that row was rewritten with its hash. */
        HEAD_MISMATCH,
        /** The action's stored plan is not the one its first audit row recorded (by digest). */
        PLAN_CHANGED,
        /**
         * The row does not follow the action's previous row: its {@code from} is not the status that
         * row left the action in, or it records the action's creation a second time.
         */
        OUT_OF_SEQUENCE,
        /** The action has no row recording its creation: none at all, or its first moves it from a status. */
        NO_CREATION,
        /** The action's status is not the one its last audit row left it in: set behind the ledger's back. */
        STATUS_MISMATCH,
        /**
         * A column of the action is not what its audit rows recorded: the request, its approval
         * settings, who requested it, dry-run, its parameters (creation row); its approval deadline or
         * expiry (the row that set it); who decided and why, why it failed (the row that did).
         */
        ACTION_CHANGED
    }
}
