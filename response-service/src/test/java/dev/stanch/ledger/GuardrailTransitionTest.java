package dev.stanch.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Rule;
import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A guardrails' decision as the move the ledger records: status, reason and audit details. */
class GuardrailTransitionTest {

    private static final UUID ID = UUID.fromString("6f1c2a9e-0b7d-4e53-9a51-2b1f7c3d8e40");
    private static final String GUARDRAILS = "stanch:guardrails";

    @Test
    void approvedMovesAPlannedActionToApproved() {
        Transition move = Transition.admitted(ID, GUARDRAILS, new Admit.Approved("approved: no guardrail applies"));

        assertThat(move)
                .isEqualTo(new Transition(
                        ID,
                        ActionStatus.PLANNED,
                        ActionStatus.APPROVED,
                        GUARDRAILS,
                        "approved: no guardrail applies",
                        Map.of(),
                        null));
    }

    @Test
    void pendingApprovalKeepsWhatHappensAtTheDeadlineAndLeavesTheDeadlineToTheLedger() {
        Transition move = Transition.admitted(
                ID,
                GUARDRAILS,
                new Admit.PendingApproval(Duration.ofMinutes(15), OnApprovalTimeout.REJECT, "waiting for approval"));

        assertThat(move.to()).isEqualTo(ActionStatus.PENDING_APPROVAL);
        assertThat(move.reason()).isEqualTo("waiting for approval");
        assertThat(move.details()).containsExactly(Map.entry("onApprovalTimeout", "reject"));
    }

    @Test
    void dryRunMovesToDryRun() {
        Transition move = Transition.admitted(ID, GUARDRAILS, new Admit.DryRun("dry run (global dry-run is on)"));

        assertThat(move.to()).isEqualTo(ActionStatus.DRY_RUN);
        assertThat(move.reason()).isEqualTo("dry run (global dry-run is on)");
        assertThat(move.details()).isEmpty();
    }

    @Test
    void blockedKeepsTheRuleThatBlocked() {
        Transition move = Transition.admitted(
                ID,
                GUARDRAILS,
                new Admit.Blocked(
                        Rule.NAMESPACE_RATE_LIMIT,
                        "rate limit in namespace shop: 10 actions in the last" + " minute (limit 10)"));

        assertThat(move.from()).isEqualTo(ActionStatus.PLANNED);
        assertThat(move.to()).isEqualTo(ActionStatus.BLOCKED);
        assertThat(move.reason()).isEqualTo("rate limit in namespace shop: 10 actions in the last minute (limit 10)");
        assertThat(move.details()).containsExactly(Map.entry("guardrail", "namespace-rate-limit"));
    }

    @Test
    void everyDecisionIsAMoveThePlannedStatusAllows() {
        for (ActionStatus to : new ActionStatus[] {
            Transition.admitted(ID, GUARDRAILS, new Admit.Approved("r")).to(),
            Transition.admitted(ID, GUARDRAILS, new Admit.PendingApproval(null, OnApprovalTimeout.REJECT, "r"))
                    .to(),
            Transition.admitted(ID, GUARDRAILS, new Admit.DryRun("r")).to(),
            Transition.admitted(ID, GUARDRAILS, new Admit.Blocked(Rule.PAUSED, "r"))
                    .to()
        }) {
            assertThat(ActionStatus.PLANNED.canMoveTo(to)).as(to.wireName()).isTrue();
        }
    }
}
