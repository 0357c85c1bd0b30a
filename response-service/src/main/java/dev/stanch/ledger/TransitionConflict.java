package dev.stanch.ledger;

import java.util.Objects;
import java.util.UUID;

/**
 * A transition the ledger refused, with nothing written: the action keeps its status, and no audit
 * or outbox row was added. The REST API answers it with 409 Conflict and the message.
 */
public final class TransitionConflict extends RuntimeException {

    /** Why the transition was refused. */
    public enum Reason {
        /** The state machine has no such move ({@link ActionStatus#whyNot}). */
        ILLEGAL,
        /** The action is no longer in the status the caller read: someone else moved it first. */
        STATUS_CHANGED,
        /** The person approving the action is the one who requested it. */
        SELF_APPROVAL,
        /** The planner refused, so there is nothing to approve, apply or dry-run: it can only be blocked. */
        NO_PLAN,
        /**
         * The action needs a person's approval: planned straight to approved when the stage requires
         * approval or it is a dry run, or approved by a Stanch component when that is not the approval
         * timeout's "approve" (the stage says reject, or the deadline has not passed).
         */
        APPROVAL_REQUIRED,
        /** The caller acts under a lease it no longer holds: another executor may have taken over. */
        LEASE_NOT_HELD
    }

    private final UUID actionId;
    private final ActionStatus from;
    private final ActionStatus to;
    private final Reason reason;

    TransitionConflict(UUID actionId, ActionStatus from, ActionStatus to, Reason reason, String message) {
        super(message);
        this.actionId = Objects.requireNonNull(actionId, "actionId");
        this.from = Objects.requireNonNull(from, "from");
        this.to = Objects.requireNonNull(to, "to");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public UUID actionId() {
        return actionId;
    }

    /** The action's status when the transition was refused (not necessarily the one the caller expected). */
    public ActionStatus from() {
        return from;
    }

    public ActionStatus to() {
        return to;
    }

    public Reason reason() {
        return reason;
    }
}
