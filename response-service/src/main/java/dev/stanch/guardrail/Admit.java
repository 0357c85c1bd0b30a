package dev.stanch.guardrail;

import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The guardrails' answer for one planned action: its first status after planned, and why. The
 * ledger maps it to its status and keeps the reason in the audit row.
 */
public sealed interface Admit {

    /** Why, for people: names the rule that decided and, for a limit, the numbers. */
    String reason();

    /**
     * Runs without waiting for anyone.
     *
     * @param reason why
     */
    record Approved(String reason) implements Admit {
        public Approved {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Waits for a person. The deadline is not decided here: the ledger sets it, once, when it records
     * the action as pending (now + {@code approvalTimeout}, in its own clock and resolution), and
     * keeps it in that audit row — so that what people are told and what the runner acts on are one
     * value.
     *
     * @param approvalTimeout how long nobody's answer is waited for before it becomes {@code
     *     onTimeout}; null when the request has no timeout (the playbook parser always gives one), so
     *     that it waits until someone decides
     * @param onTimeout what happens at the deadline
     * @param reason why
     */
    record PendingApproval(@Nullable Duration approvalTimeout, OnApprovalTimeout onTimeout, String reason)
            implements Admit {
        public PendingApproval {
            Objects.requireNonNull(onTimeout, "onTimeout");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Recorded with its plan, and nothing changes.
     *
     * @param reason why, and what the decision would have been without dry-run
     */
    record DryRun(String reason) implements Admit {
        public DryRun {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Never runs.
     *
     * @param rule the rule that blocked it
     * @param reason why, with the numbers
     */
    record Blocked(Rule rule, String reason) implements Admit {
        public Blocked {
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
