package dev.stanch.ledger;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An action with everything the ledger knows about it: what an on-call engineer reads before
 * deciding.
 *
 * @param action the action
 * @param plan the plan as {@code PlanDocument} wrote it; null when the planner refused
 * @param trail its audit rows, oldest first: its creation, then every transition
 */
public record ActionDetail(Action action, @Nullable Map<String, Object> plan, List<AuditEntry> trail) {

    public ActionDetail {
        trail = List.copyOf(trail);
    }
}
