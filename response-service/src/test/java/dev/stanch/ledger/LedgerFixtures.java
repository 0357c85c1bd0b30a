package dev.stanch.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.Planning;
import dev.stanch.action.Refusal;
import dev.stanch.action.Reversibility;
import dev.stanch.detection.Connection;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Detections, requests and plans for the ledger's tests. */
final class LedgerFixtures {

    static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    static final Target WEB = new Target("shop", "web-7d9f-aaaaa", "app");
    static final String PLAYBOOK = "outbound-c2";
    static final String REQUESTER = "stanch:playbooks";

    private LedgerFixtures() {}

    static Detection detection(String id, Instant time, Target target) {
        return new Detection(
                id,
                Source.FALCO,
                "Outbound Connection to C2 Servers",
                Severity.HIGH,
                time,
                target,
                new Connection(Connection.Direction.EGRESS, "tcp", "203.0.113.7", 443, "10.1.2.3", 50412),
                Map.of(
                        "proc.name",
                        "curl",
                        "fd.sport",
                        50412L,
                        "nested",
                        Map.of("ratio", 0.25, "list", List.of(1L, "two"))));
    }

    static ActionRequest request(
            ActionKind kind,
            Target target,
            Approval approval,
            @Nullable Duration approvalTimeout,
            @Nullable Duration expireAfter,
            boolean dryRun) {
        return request(PLAYBOOK, kind, target, approval, approvalTimeout, expireAfter, dryRun);
    }

    static ActionRequest request(
            String playbook,
            ActionKind kind,
            Target target,
            Approval approval,
            @Nullable Duration approvalTimeout,
            @Nullable Duration expireAfter,
            boolean dryRun) {
        return new ActionRequest(
                playbook,
                "stage-" + kind.wireName(),
                1,
                kind,
                target,
                Map.of("detach", false),
                approval,
                approvalTimeout,
                OnApprovalTimeout.REJECT,
                expireAfter,
                dryRun);
    }

    /** The simplest request: quarantine the web pod, approval required within 15 minutes, expiring after 4 hours. */
    static ActionRequest request() {
        return request(
                ActionKind.QUARANTINE_POD, WEB, Approval.REQUIRED, Duration.ofMinutes(15), Duration.ofHours(4), false);
    }

    /** The same, for a stage that runs without approval: the guardrails may approve it straight away. */
    static ActionRequest autoRequest() {
        return request(ActionKind.QUARANTINE_POD, WEB, Approval.AUTO, null, Duration.ofHours(4), false);
    }

    /** A small hand-made plan of the request's kind and target. */
    static Planning plan(UUID id, ActionRequest request) {
        return new Planning.Planned(new ActionPlan(
                id.toString(),
                request.kind(),
                request.target(),
                request.params(),
                request.kind().wireName() + " " + request.target().key(),
                List.of(),
                List.of(),
                List.of(),
                List.of(new Reversibility("label the pod", true, "rollback removes the label")),
                List.of("shop/web[Pod] => 0.0.0.0-255.255.255.255[External] : lost All Connections"),
                List.of(),
                List.of("established connections may survive")));
    }

    static Planning refused() {
        return new Planning.Refused(Refusal.PROTECTED, "namespace kube-system is protected");
    }

    static NewAction newAction(String detectionId, ActionRequest request) {
        UUID id = Ledger.newActionId();
        return new NewAction(id, detectionId, request, plan(id, request), REQUESTER);
    }

    /** The executor instance under whose lease the tests make an executor's moves. */
    static final String EXECUTOR = "test-executor";

    static final Duration LEASE = Duration.ofMinutes(1);

    /**
     * Moves an action as the ledger allows it: an executor's move ({@link ActionStatus#needsLease})
     * under {@link #EXECUTOR}'s lease — claiming the action for it first,
     * unless it holds a live lease already — any other move without one. {@code actor} is recorded
     * either way.
     */
    static Transitioned move(
            Ledger ledger,
            UUID id,
            ActionStatus from,
            ActionStatus to,
            String actor,
            String reason,
            Map<String, Object> details) {
        Transition move = new Transition(id, from, to, actor, reason, details, null);
        if (from.needsLease(to)) {
            Action.Lease lease = ledger.action(id).lease();
            boolean held = lease != null
                    && lease.owner().equals(EXECUTOR)
                    && lease.until().isAfter(ledger.now());
            if (!held) {
                assertThat(ledger.claim(id, EXECUTOR, LEASE))
                        .as("claiming %s (%s) for %s", id, from.wireName(), EXECUTOR)
                        .isPresent();
            }
            move = to == ActionStatus.APPLYING || to == ActionStatus.ROLLING_BACK
                    ? move.underLease(EXECUTOR, LEASE)
                    : move.underLease(EXECUTOR);
        }
        return ledger.transition(move);
    }

    static Transitioned move(Ledger ledger, UUID id, ActionStatus from, ActionStatus to, String actor, String reason) {
        return move(ledger, id, from, to, actor, reason, Map.of());
    }
}
