package dev.stanch.playbook;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One rung of a playbook's ladder.
 *
 * @param name unique within the playbook
 * @param line where the stage starts in its file
 * @param after the stage holds from this occurrence on (1 = the first)
 * @param when an optional CEL condition over {@code detection} and {@code occurrences}
 * @param action what to do
 * @param params the action's parameters as written (validated against the action's contract)
 * @param approval auto, or wait for a person
 * @param approvalTimeout how long a required approval waits
 * @param onApprovalTimeout what happens when nobody decided in time
 * @param expireAfter roll the action back automatically after this long; null keeps it
 */
public record Stage(
        String name,
        int line,
        int after,
        @Nullable Condition when,
        ActionKind action,
        Map<String, Object> params,
        Approval approval,
        @Nullable Duration approvalTimeout,
        OnApprovalTimeout onApprovalTimeout,
        @Nullable Duration expireAfter) {

    public Stage {
        params = Map.copyOf(params);
    }
}
