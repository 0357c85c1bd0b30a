package dev.stanch.ledger;

import java.util.List;

/**
 * What walking the audit chain found.
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

    /** True when no row was edited, deleted or inserted: the chain holds. */
    public boolean intact() {
        return breakCount == 0;
    }

    /**
     * One broken row.
     *
     * @param seq the row's seq (for a missing row, the seq it had)
     * @param kind what is wrong
     * @param message what is wrong, for people
     */
    public record Break(long seq, Kind kind, String message) {}

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
        PLAN_CHANGED
    }
}
