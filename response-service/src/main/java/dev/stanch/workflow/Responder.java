package dev.stanch.workflow;

import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.Transitioned;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A person's decisions on an action, as the REST API will call them: each needs who and why, and
 * only records the decision — the {@link Runner} does the work it calls for. The ledger refuses what
 * is not allowed with a {@link dev.stanch.ledger.TransitionConflict} (a 409): a move the state
 * machine lacks, an action that moved on, a person approving what they requested.
 *
 * <p>The actor is a person: a name that begins with {@link Ledger#SYSTEM_ACTOR_PREFIX} ({@code
 * stanch:}) is refused with an {@link IllegalArgumentException} (a 400), before the ledger is asked.
 * Those are Stanch's own components, and the ledger trusts them with an approval by silence: a
 * person named so could approve what nobody approved.
 */
public final class Responder {

    private final Ledger ledger;

    public Responder(Ledger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /** Approves a pending action; the next run applies it. */
    public Transitioned approve(UUID actionId, String actor, String reason) {
        requirePerson(actor);
        return ledger.transition(
                actionId, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, actor, reason, Map.of());
    }

    /** Rejects a pending action: final. */
    public Transitioned reject(UUID actionId, String actor, String reason) {
        requirePerson(actor);
        return ledger.transition(
                actionId, ActionStatus.PENDING_APPROVAL, ActionStatus.REJECTED, actor, reason, Map.of());
    }

    /**
     * Asks for an applied (or failed) action to be rolled back, whatever it is now: as {@link
     * #rollback(UUID, ActionStatus, String, String)} with the status it is in as this call reads it.
     *
     * @throws dev.stanch.ledger.ActionNotFound when there is no such action
     */
    public Transitioned rollback(UUID actionId, String actor, String reason) {
        requirePerson(actor);
        ActionStatus current = ledger.action(actionId).status();
        return ledger.transition(actionId, current, ActionStatus.ROLLING_BACK, actor, reason, Map.of());
    }

    /**
     * Asks for an applied (or failed) action to be rolled back, as the person saw it: it becomes
     * rolling-back without a lease, which makes it due at once, and the next run undoes it — the same
     * path as recovery. When the action is no longer in {@code seen} — it expired and rolled back, a
     * rollback it was in failed, someone else asked first — the ledger refuses with {@link
     * dev.stanch.ledger.TransitionConflict.Reason#STATUS_CHANGED}: the person decided on a state that
     * is gone.
     *
     * @param seen the status the person saw when they decided (applied or failed)
     * @throws dev.stanch.ledger.ActionNotFound when there is no such action
     */
    public Transitioned rollback(UUID actionId, ActionStatus seen, String actor, String reason) {
        requirePerson(actor);
        return ledger.transition(
                actionId, Objects.requireNonNull(seen, "seen"), ActionStatus.ROLLING_BACK, actor, reason, Map.of());
    }

    private static void requirePerson(String actor) {
        if (actor != null && actor.startsWith(Ledger.SYSTEM_ACTOR_PREFIX)) {
            throw new IllegalArgumentException("actor " + actor + " is not a person: names beginning with "
                    + Ledger.SYSTEM_ACTOR_PREFIX + " are Stanch's own components; a decision is recorded under"
                    + " the name of the person who made it");
        }
    }
}
