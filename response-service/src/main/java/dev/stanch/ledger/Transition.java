package dev.stanch.ledger;

import dev.stanch.guardrail.Admit;
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
 * @param leaseOwner when set, the move is refused unless this executor holds the action's lease
 */
public record Transition(
        UUID actionId,
        ActionStatus from,
        ActionStatus to,
        String actor,
        String reason,
        Map<String, Object> details,
        @Nullable String leaseOwner) {

    public Transition {
        Objects.requireNonNull(actionId, "actionId");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Text.requireText("actor", actor);
        Text.requireText("reason", reason);
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    public static Transition of(UUID actionId, ActionStatus from, ActionStatus to, String actor, String reason) {
        return new Transition(actionId, from, to, actor, reason, Map.of(), null);
    }

    /**
     * The move a guardrails' decision makes: a planned action to blocked, dry-run, pending approval
     * or approved — the one place where a decision becomes a status. The audit row keeps the reason,
     * and in its details the rule that blocked, or the approval deadline and what happens at it.
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
                if (pending.deadline() != null) {
                    details.put("approvalDeadline", pending.deadline().toString());
                }
                details.put("onApprovalTimeout", pending.onTimeout().wireName());
                yield ActionStatus.PENDING_APPROVAL;
            }
            case Admit.DryRun dryRun -> ActionStatus.DRY_RUN;
            case Admit.Blocked blocked -> {
                details.put("guardrail", blocked.rule().wireName());
                yield ActionStatus.BLOCKED;
            }
        };
        return new Transition(actionId, ActionStatus.PLANNED, to, actor, admit.reason(), details, null);
    }

    public Transition withDetails(Map<String, Object> details) {
        return new Transition(actionId, from, to, actor, reason, details, leaseOwner);
    }

    /** The same move, made by an executor under its lease. */
    public Transition underLease(String owner) {
        return new Transition(actionId, from, to, actor, reason, details, Text.requireText("owner", owner));
    }
}
