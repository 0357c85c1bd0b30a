package dev.stanch.ledger;

import dev.stanch.action.Refusal;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One action as the ledger holds it, without its plan document and audit trail ({@link
 * ActionDetail} has those). Times are to the microsecond.
 *
 * @param id the action's id: also in the names and labels of what it creates
 * @param detectionId the detection that caused it
 * @param playbook the playbook that asked for it
 * @param stage the playbook's stage
 * @param occurrence the occurrence that selected the stage (1 = the first in the window)
 * @param kind what it does
 * @param target the pod it acts on (namespace and pod; no container)
 * @param params the stage's parameters as resolved
 * @param approval auto, or wait for a person
 * @param approvalTimeout how long a required approval waits; null waits until someone decides
 * @param approvalDeadline when a pending approval times out: set on entering pending-approval
 * @param onApprovalTimeout what the approval timeout does
 * @param expireAfter how long the action stays applied; null keeps it
 * @param expiresAt when an applied action is rolled back: set on entering applied
 * @param dryRun recorded, never applied
 * @param status where it is in its life
 * @param planned true when the planner made a plan; false when it refused ({@link #refusal})
 * @param refusal why the planner refused, when it did
 * @param refusalMessage the planner's words, when it refused
 * @param requestedBy who asked for the action (the first audit row's actor)
 * @param decidedBy who approved, rejected or let it expire
 * @param decisionReason their reason
 * @param failureReason why it failed, when it did
 * @param createdAt when it was created
 * @param updatedAt its last transition
 * @param lease the executor working on it, while one is
 * @param stalls how often, in the phase it is in (applying or rolling-back), it was taken over from
 *     an executor whose lease ran out while it held it: a runner that stopped, crashed or overran its
 *     lease in the middle of the work
 * @param retryAt when an executor gave it back after a transient failure: due again then
 */
public record Action(
        UUID id,
        String detectionId,
        String playbook,
        String stage,
        long occurrence,
        ActionKind kind,
        Target target,
        Map<String, Object> params,
        Approval approval,
        @Nullable Duration approvalTimeout,
        @Nullable Instant approvalDeadline,
        OnApprovalTimeout onApprovalTimeout,
        @Nullable Duration expireAfter,
        @Nullable Instant expiresAt,
        boolean dryRun,
        ActionStatus status,
        boolean planned,
        @Nullable Refusal refusal,
        @Nullable String refusalMessage,
        String requestedBy,
        @Nullable String decidedBy,
        @Nullable String decisionReason,
        @Nullable String failureReason,
        Instant createdAt,
        Instant updatedAt,
        @Nullable Lease lease,
        int stalls,
        @Nullable Instant retryAt) {

    public Action {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }

    /**
     * An executor's claim on an action: while it lasts, no other executor claims the action.
     *
     * @param owner who holds it (an instance's name)
     * @param until when others may take over
     */
    public record Lease(String owner, Instant until) {}
}
