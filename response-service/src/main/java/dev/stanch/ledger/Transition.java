package dev.stanch.ledger;

import dev.stanch.guardrail.Admit;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A move of one action from one status to another, as the caller asks for it.
 *
 * @param actionId the action
 * @param from the status the caller read: the move is refused when the action is no longer in it
 * @param to the status to move to
 * @param actor who moves it (a person, or the Stanch component)
 * @param reason why, in words: required, it is what the audit log keeps
 * @param details what else the audit row should keep (JSON values)
 * @param leaseOwner when set, the move is refused unless this executor holds a live lease on the
 *     action (one that has not run out); the moves only an executor makes ({@link
 *     ActionStatus#needsLease}) need one
 * @param lease for an executor entering applying or rolling-back: its lease then lasts this long from
 *     the move, so that the work it is about to do starts under a whole lease, not the rest of its
 *     claim's
 */
public record Transition(
        UUID actionId,
        ActionStatus from,
        ActionStatus to,
        String actor,
        String reason,
        Map<String, Object> details,
        @Nullable String leaseOwner,
        @Nullable Duration lease) {

    public Transition {
        Objects.requireNonNull(actionId, "actionId");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Text.requireText("actor", actor);
        Text.requireText("reason", reason);
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
        if (lease != null && (leaseOwner == null || lease.isNegative() || lease.isZero())) {
            throw new IllegalArgumentException("a lease to renew needs its owner and a positive length");
        }
        if (leaseOwner != null && lease == null && (to == ActionStatus.APPLYING || to == ActionStatus.ROLLING_BACK)) {
            // The work starts now: under whatever was left of the claim's lease, a runner that claimed a
            // batch could begin an apply with seconds of it left.
            throw new IllegalArgumentException("an executor entering " + to.wireName()
                    + " renews its lease: say for how long (underLease(owner, lease))");
        }
    }

    /** A move without a lease to renew: everything but an executor's entry into applying or rolling-back. */
    public Transition(
            UUID actionId,
            ActionStatus from,
            ActionStatus to,
            String actor,
            String reason,
            Map<String, Object> details,
            @Nullable String leaseOwner) {
        this(actionId, from, to, actor, reason, details, leaseOwner, null);
    }

    public static Transition of(UUID actionId, ActionStatus from, ActionStatus to, String actor, String reason) {
        return new Transition(actionId, from, to, actor, reason, Map.of(), null);
    }

    /**
     * The move a guardrails' decision makes: a planned action to blocked, dry-run, pending approval
     * or approved — the one place where a decision becomes a status. The audit row keeps the reason,
     * and in its details the rule that blocked, or what happens at the approval deadline (the
     * deadline itself the ledger sets and records as it moves the action).
     *
     * @param actionId the planned action
     * @param actor who applied the guardrails (the Stanch component)
     * @param admit the decision
     */
    public static Transition admitted(UUID actionId, String actor, Admit admit) {
        Map<String, Object> details = new LinkedHashMap<>();
        ActionStatus to = switch (admit) {
            case Admit.Approved approved -> ActionStatus.APPROVED;
            case Admit.PendingApproval pending -> {
                details.put("onApprovalTimeout", pending.onTimeout().wireName());
                yield ActionStatus.PENDING_APPROVAL;
            }
            case Admit.DryRun dryRun -> ActionStatus.DRY_RUN;
            case Admit.Blocked blocked -> {
                details.put("guardrail", blocked.rule().wireName());
                yield ActionStatus.BLOCKED;
            }
        };
        return new Transition(actionId, ActionStatus.PLANNED, to, actor, admit.reason(), details, null, null);
    }

    public Transition withDetails(Map<String, Object> details) {
        return new Transition(actionId, from, to, actor, reason, details, leaseOwner, lease);
    }

    /** The same move, made by an executor under its lease. */
    public Transition underLease(String owner) {
        return new Transition(actionId, from, to, actor, reason, details, Text.requireText("owner", owner), null);
    }

    /**
     * The same move, made by an executor under its lease, which the move renews to {@code lease} from
     * now: how an executor enters applying or rolling-back.
     */
    public Transition underLease(String owner, Duration lease) {
        return new Transition(actionId, from, to, actor, reason, details, Text.requireText("owner", owner), lease);
    }
}
