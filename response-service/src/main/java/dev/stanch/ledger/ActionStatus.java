package dev.stanch.ledger;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where an action is in its life, and — in {@link #NEXT}, the one place they are declared — the
 * moves it may make. The wire name (in the ledger, the API and {@code stanch.actions}) is the
 * lower-case name with dashes: {@code pending-approval}.
 *
 * <pre>
 * (created) ─► planned ─┬─► blocked                                       terminal
 *                       ├─► dry-run                                       terminal
 *                       ├─► pending-approval ─┬─► rejected, expired       terminal
 *                       │                     └─► approved
 *                       └─► approved ─► applying ─┬─► applied ─► rolling-back ─┬─► rolled-back   terminal
 *                                                 └─► failed ◄─────────────────┘
 *                                                       └─► rolling-back
 * </pre>
 *
 * Meanings that the state names alone do not say: {@code blocked} is a guardrail's or the planner's
 * no (the reason says which); {@code rejected} is a person's no, {@code expired} is nobody's answer
 * within the approval timeout when the playbook says reject (never approve by silence); {@code
 * failed} is not terminal, because a failed apply or rollback may have left changes behind that a
 * rollback removes (its steps are idempotent).
 */
public enum ActionStatus {
    PLANNED("planning %s again", "a planned action"),
    BLOCKED("blocking %s", "a blocked action"),
    DRY_RUN("recording %s as a dry run", "a dry-run action"),
    PENDING_APPROVAL("asking approval for %s", "an action waiting for approval"),
    APPROVED("approving %s", "an approved action"),
    APPLYING("applying %s", "an action being applied"),
    APPLIED("marking %s as applied", "an applied action"),
    FAILED("marking %s as failed", "a failed action"),
    REJECTED("rejecting %s", "a rejected action"),
    EXPIRED("expiring %s", "an expired action"),
    ROLLING_BACK("rolling back %s", "an action being rolled back"),
    ROLLED_BACK("marking %s as rolled back", "a rolled-back action");

    /** Every allowed move; a status that may move nowhere is terminal. */
    private static final Map<ActionStatus, Set<ActionStatus>> NEXT;

    static {
        Map<ActionStatus, Set<ActionStatus>> next = new EnumMap<>(ActionStatus.class);
        next.put(PLANNED, EnumSet.of(BLOCKED, DRY_RUN, PENDING_APPROVAL, APPROVED));
        next.put(PENDING_APPROVAL, EnumSet.of(APPROVED, REJECTED, EXPIRED));
        next.put(APPROVED, EnumSet.of(APPLYING));
        next.put(APPLYING, EnumSet.of(APPLIED, FAILED));
        next.put(APPLIED, EnumSet.of(ROLLING_BACK));
        next.put(FAILED, EnumSet.of(ROLLING_BACK));
        next.put(ROLLING_BACK, EnumSet.of(ROLLED_BACK, FAILED));
        for (ActionStatus status : values()) {
            next.put(
                    status, Collections.unmodifiableSet(next.getOrDefault(status, EnumSet.noneOf(ActionStatus.class))));
        }
        NEXT = Collections.unmodifiableMap(next);
    }

    /** What moving into this status does, around the description of the status moved from. */
    private final String verb;
    /** An action in this status. */
    private final String description;

    ActionStatus(String verb, String description) {
        this.verb = verb;
        this.description = description;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<ActionStatus> fromWireName(String name) {
        for (ActionStatus status : values()) {
            if (status.wireName().equals(name)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    /** The statuses this one may move to; empty for a terminal status. */
    public Set<ActionStatus> next() {
        return NEXT.get(this);
    }

    public boolean canMoveTo(ActionStatus to) {
        return NEXT.get(this).contains(to);
    }

    /**
     * True for the moves that only an executor makes, under a live lease on the action: approved →
     * applying, where it starts on the cluster, and out of applying and rolling-back, where it is at
     * work there. Whoever else made them could start an apply nobody will carry out, or finish an
     * action that an executor is still changing, or that another one has taken over.
     */
    public boolean needsLease(ActionStatus to) {
        return canMoveTo(to) && (this == APPROVED || this == APPLYING || this == ROLLING_BACK);
    }

    /** Terminal: nothing follows (blocked, dry-run, rejected, expired, rolled-back). */
    public boolean isTerminal() {
        return NEXT.get(this).isEmpty();
    }

    /** The terminal statuses. */
    public static Set<ActionStatus> terminals() {
        Set<ActionStatus> terminals = EnumSet.noneOf(ActionStatus.class);
        for (ActionStatus status : values()) {
            if (status.isTerminal()) {
                terminals.add(status);
            }
        }
        return terminals;
    }

    /**
     * Why moving from this status to {@code to} is not allowed, for people: e.g. "approving an applied
     * action is not allowed (applied → approved): from applied an action can only go to
     * rolling-back". Null when the move is allowed.
     */
    public @Nullable String whyNot(ActionStatus to) {
        if (canMoveTo(to)) {
            return null;
        }
        String why;
        if (to == this) {
            why = "it is " + wireName() + " already";
        } else if (isTerminal()) {
            why = wireName() + " is final";
        } else {
            why = "from " + wireName() + " an action can only go to " + listed(next());
        }
        return to.verb.formatted(description) + " is not allowed (" + wireName() + " → " + to.wireName() + "): " + why;
    }

    private static String listed(Set<ActionStatus> statuses) {
        var names = statuses.stream().map(ActionStatus::wireName).toList();
        return names.size() == 1
                ? names.getFirst()
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
    }
}
