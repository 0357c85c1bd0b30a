package dev.stanch.guardrail;

import java.util.Locale;

/** The rule that blocked an action: kept in the audit row next to the reason, to count and filter by. */
public enum Rule {
    /** The planner refused: there is no plan to admit. */
    REFUSED,
    /** The pause switch is on. */
    PAUSED,
    /** The action would touch a pod in a protected namespace. */
    PROTECTED_NAMESPACE,
    /** Too many actions started in the last minute, in the whole cluster. */
    RATE_LIMIT,
    /** Too many actions started in the last minute, in the target's namespace. */
    NAMESPACE_RATE_LIMIT,
    /** Too many actions active at once. */
    ACTIVE_CAP;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
