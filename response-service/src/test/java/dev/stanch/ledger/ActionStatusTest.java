package dev.stanch.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The state machine of DESIGN.md, move by move. */
class ActionStatusTest {

    /** Every allowed move, written out independently of ActionStatus.NEXT. */
    private static final Set<String> LEGAL = Set.of(
            "planned → blocked",
            "planned → dry-run",
            "planned → pending-approval",
            "planned → approved",
            "pending-approval → approved",
            "pending-approval → rejected",
            "pending-approval → expired",
            "approved → applying",
            "applying → applied",
            "applying → failed",
            "applied → rolling-back",
            "failed → rolling-back",
            "rolling-back → rolled-back",
            "rolling-back → failed");

    @Test
    void theMovesAreExactlyTheDesignedOnes() {
        Set<String> allowed = new TreeSet<>();
        for (ActionStatus from : ActionStatus.values()) {
            for (ActionStatus to : ActionStatus.values()) {
                if (from.canMoveTo(to)) {
                    allowed.add(from.wireName() + " → " + to.wireName());
                }
            }
        }
        assertThat(allowed).containsExactlyInAnyOrderElementsOf(LEGAL);
    }

    @Test
    void terminalStatusesAreTheOnesNothingFollows() {
        assertThat(ActionStatus.terminals())
                .containsExactlyInAnyOrder(
                        ActionStatus.BLOCKED,
                        ActionStatus.DRY_RUN,
                        ActionStatus.REJECTED,
                        ActionStatus.EXPIRED,
                        ActionStatus.ROLLED_BACK);
        assertThat(ActionStatus.FAILED.isTerminal())
                .as("a failed action may still be rolled back")
                .isFalse();
    }

    @Test
    void everyIllegalMoveSaysFromWhereToWhereAndWhy() {
        for (ActionStatus from : ActionStatus.values()) {
            for (ActionStatus to : ActionStatus.values()) {
                String why = from.whyNot(to);
                if (from.canMoveTo(to)) {
                    assertThat(why).isNull();
                } else {
                    assertThat(why)
                            .as(from + " → " + to)
                            .contains("(" + from.wireName() + " → " + to.wireName() + ")")
                            .contains(" is not allowed ");
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            applied          | approved     | approving an applied action is not allowed (applied → approved): from applied an action can only go to rolling-back
            rejected         | rolling-back | rolling back a rejected action is not allowed (rejected → rolling-back): rejected is final
            approved         | approved     | approving an approved action is not allowed (approved → approved): it is approved already
            pending-approval | applying     | applying an action waiting for approval is not allowed (pending-approval → applying): from pending-approval an action can only go to approved, rejected or expired
            planned          | applied      | marking a planned action as applied is not allowed (planned → applied): from planned an action can only go to blocked, dry-run, pending-approval or approved
            rolling-back     | applied      | marking an action being rolled back as applied is not allowed (rolling-back → applied): from rolling-back an action can only go to failed or rolled-back
            """)
    void messagesReadAsSentences(String from, String to, String message) {
        assertThat(ActionStatus.fromWireName(from)
                        .orElseThrow()
                        .whyNot(ActionStatus.fromWireName(to).orElseThrow()))
                .isEqualTo(message);
    }

    @Test
    void wireNamesRoundTrip() {
        for (ActionStatus status : ActionStatus.values()) {
            assertThat(ActionStatus.fromWireName(status.wireName())).contains(status);
        }
        assertThat(ActionStatus.PENDING_APPROVAL.wireName()).isEqualTo("pending-approval");
        assertThat(ActionStatus.fromWireName("PENDING_APPROVAL")).isEmpty();
        assertThat(EnumSet.allOf(ActionStatus.class)).hasSize(12);
    }
}
