package dev.stanch.action;

/** Why a planner refused to plan: one taxonomy, so that playbooks and people can react to it. */
public enum Refusal {
    /** The target (or a peer) does not exist in the cluster. */
    NOT_FOUND,
    /** The target is in a protected namespace or is Stanch itself. */
    PROTECTED,
    /** The request's parameters cannot be acted on (a listening socket's "any" peer, say). */
    INVALID,
    /** The cluster lacks what the action needs (a deny-capable policy API, for instance). */
    UNSUPPORTED,
    /** The policy engine says the change would not stop the flow, or would open others. */
    INEFFECTIVE,
    /** The harm is already stopped: nothing to change. */
    ALREADY_IN_EFFECT,
    /** A guardrail of the action itself (the share of a workload in quarantine). */
    LIMIT;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
