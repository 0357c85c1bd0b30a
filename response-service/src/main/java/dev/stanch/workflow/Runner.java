package dev.stanch.workflow;

import dev.stanch.action.ActionPlan;
import dev.stanch.guardrail.Pause;
import dev.stanch.kubernetes.ActionExecutor;
import dev.stanch.kubernetes.KubernetesFailure;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.PlanTampered;
import dev.stanch.ledger.Transition;
import dev.stanch.ledger.TransitionConflict;
import dev.stanch.playbook.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The back of the workflow: does the work that is due, on any number of instances sharing the
 * ledger. Each {@link #runDue} claims a batch with the ledger's lease ({@code FOR UPDATE SKIP
 * LOCKED}: two runners never get the same action) and, for each action by its status:
 *
 * <ul>
 *   <li>approved → applying (committed before the first API call: the plan is in the ledger since
 *       the action was created, so from here on a crash leaves an action that recovery finishes) →
 *       apply → verify → applied, or failed with the reason;
 *   <li>applied past its expiry → rolling-back → roll back → nothing left behind → rolled-back, or
 *       failed with what is left;
 *   <li>pending approval past its deadline → expired when the stage says {@code onApprovalTimeout:
 *       reject} (nobody's answer is not a person's rejection), approved only when it says {@code
 *       approve};
 *   <li>applying or rolling-back whose lease ran out (a runner stopped in the middle, or a person
 *       asked for a rollback) → the same steps again from the start, then as above. Every step is
 *       idempotent — a step finds what it would do done already and changes nothing — so an action
 *       is never applied twice in effect, however often it is taken up.
 * </ul>
 *
 * <p><b>Pause.</b> While the ledger's pause switch is on ({@link
 * dev.stanch.guardrail.Activity#pause()}), nothing starts applying — approved actions wait, reported as
 * {@link Work.Deferred} — but approval timeouts, expiry and people's rollbacks go on ({@link
 * #runDue}).
 *
 * <p><b>Leases.</b> A claim leases the whole batch at once; before each action, and again before
 * each batch of API calls (apply, verify, rollback, leftovers), the runner renews its lease on the
 * action, and stops there — {@link Work.Lost} — when the ledger says it no longer holds a live one.
 * Entering applying or rolling-back renews it too. So an apply starts only with a whole lease ahead
 * of it, and a runner that overran its lease (a long pause, a slow API server) does not go on
 * calling the API on an action that another runner may have claimed: the ledger refuses its moves
 * out of applying and rolling-back, and its next renewal tells it to stop. What fencing cannot stop
 * is a batch already under way when the lease runs out: a lease must be long against one batch.
 *
 * <p>A {@link KubernetesFailure.Reason#TRANSIENT transient} failure leaves the action where it is,
 * its lease given back and due again after a backoff — 30 s, 1 min, 2 min, 4 min — for any runner;
 * the {@value #MAX_TRANSIENT_FAILURES}th in a row marks it failed. Any other failure marks it failed
 * at once. An action found stalled — taken over from a runner whose lease ran out while it held it,
 * after a crash, an unexpected error ({@link Work.Crashed}) or an overrun — more than {@value
 * #MAX_STALLS} times in one phase is failed too, rather than taken up for ever. Nothing here sleeps: the caller runs {@link #runDue} on a
 * schedule.
 *
 * <p>A failed action stays failed until a person rolls it back ({@link Responder#rollback}): it may
 * hold some of its changes, and whether to undo them or to fix the cause and keep them is theirs to
 * say.
 */
public final class Runner {

    /** Who moves actions when the runner works on them. */
    static final String ACTOR = "stanch:executor";

    /** Who decides for nobody at an approval deadline: never the requester, so never a self-approval. */
    static final String APPROVAL_TIMEOUT = "stanch:approval-timeout";

    /** Transient failures in a row, in one phase, after which the action is failed. */
    static final int MAX_TRANSIENT_FAILURES = 5;

    /**
     * How often an action may be found stalled in one phase — taken over from a runner whose lease
     * ran out while it held it — and still be taken up again: found so once more, it is failed.
     */
    static final int MAX_STALLS = 3;

    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(30);

    private static final Set<ActionStatus> DUE = EnumSet.of(
            ActionStatus.APPROVED,
            ActionStatus.PENDING_APPROVAL,
            ActionStatus.APPLIED,
            ActionStatus.APPLYING,
            ActionStatus.ROLLING_BACK);

    /**
     * What goes on while Stanch is paused: what only decides (approval timeouts) or restores (expiry
     * and people's rollbacks). Restoring is always allowed: the pause stops Stanch changing the
     * cluster further, not undoing what it did.
     */
    private static final Set<ActionStatus> DUE_WHILE_PAUSED =
            EnumSet.of(ActionStatus.PENDING_APPROVAL, ActionStatus.APPLIED, ActionStatus.ROLLING_BACK);

    private final Ledger ledger;
    private final Cluster executor;
    private final Duration lease;
    private final int batch;
    private final Supplier<Optional<Pause>> pause;

    /**
     * @param lease how long a lease lasts from each renewal: longer than one batch of API calls (an
     *     apply, a verify, a rollback) takes, since a runner whose lease runs out in the middle of one
     *     cannot be stopped before it ends
     * @param batch the most actions one {@link #runDue} claims
     */
    public Runner(Ledger ledger, ActionExecutor executor, Duration lease, int batch) {
        this(ledger, executor, ClusterGuard.NONE, lease, batch);
    }

    /** With every call of the executor made through {@code guard} (the service's circuit breaker). */
    public Runner(Ledger ledger, ActionExecutor executor, ClusterGuard guard, Duration lease, int batch) {
        this(ledger, Cluster.of(Objects.requireNonNull(executor, "executor"), guard), lease, batch);
    }

    /** With a stand-in for the cluster: the seam for tests. The pause switch is the ledger's. */
    Runner(Ledger ledger, Cluster executor, Duration lease, int batch) {
        this(ledger, executor, lease, batch, ledger.activity()::pause);
    }

    /**
     * With a stand-in for the cluster and for the pause switch, which the ledger's {@link
     * dev.stanch.guardrail.Activity#pause()} answers otherwise: the seams for tests.
     */
    Runner(Ledger ledger, Cluster executor, Duration lease, int batch, Supplier<Optional<Pause>> pause) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.executor = Objects.requireNonNull(executor, "executor");
        if (lease.isNegative() || lease.isZero() || batch < 1) {
            throw new IllegalArgumentException("a runner needs a positive lease and a batch ≥ 1");
        }
        this.lease = lease;
        this.batch = batch;
        this.pause = Objects.requireNonNull(pause, "pause");
    }

    /**
     * Claims the actions due now, for {@code owner} (an instance's name, unique among those sharing
     * the ledger), and does their work, oldest first.
     *
     * <p>While Stanch is paused, nothing starts applying: approved actions stay approved and are
     * reported as {@link Work.Deferred} with the pause's reason, and actions left applying by a
     * runner that stopped are left as they are (not taken up, so not counted as stalled again) until
     * it is resumed. Approval timeouts, expiry and people's rollbacks go on: they decide, or undo.
     *
     * @return what became of each, in that order; empty when nothing was due
     */
    public List<Work> runDue(String owner) {
        Optional<Pause> paused = pause.get();
        List<Work> done = new ArrayList<>();
        for (Action action : ledger.claim(owner, paused.isPresent() ? DUE_WHILE_PAUSED : DUE, lease, batch)) {
            done.add(run(action, owner));
        }
        if (paused.isPresent()) {
            // Claimed only to be reported, once each among the runners, and given back at once. Those
            // that an approval by silence just approved are among them.
            for (Action action : ledger.claim(owner, EnumSet.of(ActionStatus.APPROVED), lease, batch)) {
                done.add(paused(action, owner, paused.get()));
            }
        }
        return done;
    }

    /** Left in its status, its lease given back: due again as soon as Stanch is resumed. */
    private Work paused(Action action, String owner, Pause pause) {
        ledger.releaseLease(action.id(), owner);
        return new Work.Deferred(
                action.id(),
                action.status(),
                0,
                null,
                "paused by " + pause.by() + " at " + pause.at() + ": " + pause.reason());
    }

    private Work run(Action action, String owner) {
        try {
            // The claim leased the whole batch at once: the actions before this one may have used up
            // most of this one's lease, or all of it.
            fence(action.id(), action.status(), owner, "taking it up");
            if (action.stalls() > MAX_STALLS) {
                return gaveUp(action, owner);
            }
            return switch (action.status()) {
                // Paused since the claim: asked again right before the cluster would change.
                case APPROVED ->
                    pause.get().map(on -> paused(action, owner, on)).orElseGet(() -> apply(action, owner));
                // Nothing tells how far a stopped runner got: the steps find out, each changing only
                // what is not as wanted yet.
                case APPLYING ->
                    pause.get().map(on -> paused(action, owner, on)).orElseGet(() -> applyAndVerify(action, owner));
                case APPLIED -> expire(action, owner);
                case ROLLING_BACK -> rollBack(action, owner);
                case PENDING_APPROVAL -> approvalTimedOut(action, owner);
                case PLANNED, BLOCKED, DRY_RUN, FAILED, REJECTED, EXPIRED, ROLLED_BACK ->
                    throw new IllegalStateException("claimed action " + action.id() + " in "
                            + action.status().wireName() + ", never due");
            };
        } catch (TransitionConflict conflict) {
            return new Work.Lost(action.id(), conflict.from(), conflict.getMessage());
        } catch (Fenced fenced) {
            return new Work.Lost(action.id(), fenced.status, fenced.getMessage());
        } catch (RuntimeException e) {
            return new Work.Crashed(action.id(), action.status(), e);
        }
    }

    /**
     * An action that runners kept stopping on — a crash it causes, an apply longer than the lease —
     * is failed with the reason rather than taken up for ever; a person decides, as for any failure.
     */
    private Work gaveUp(Action action, String owner) {
        ActionStatus phase = action.status();
        String reason = "found stalled " + action.stalls() + " times while "
                + (phase == ActionStatus.APPLYING ? "applying" : "rolling back")
                + " (a runner stopped, crashed or overran its lease in the middle each time): failed instead of"
                + " taken up again; it may hold some of its changes";
        move(action.id(), phase, ActionStatus.FAILED, reason, Map.of("stalls", action.stalls()), owner);
        return new Work.Moved(action.id(), phase, ActionStatus.FAILED, List.of(), reason);
    }

    private Work apply(Action action, String owner) {
        enter(action.id(), ActionStatus.APPROVED, ActionStatus.APPLYING, "applying the plan as approved", owner);
        return applyAndVerify(action, owner);
    }

    private Work applyAndVerify(Action action, String owner) {
        UUID id = action.id();
        ActionPlan plan;
        try {
            plan = plan(id);
        } catch (PlanTampered tampered) {
            return refuseTampered(action, ActionStatus.APPLYING, tampered, owner);
        }
        ActionExecutor.Outcome outcome;
        List<String> problems;
        try {
            fence(id, ActionStatus.APPLYING, owner, "applying its steps");
            outcome = executor.apply(plan);
            fence(id, ActionStatus.APPLYING, owner, "verifying it");
            problems = executor.verify(plan);
        } catch (KubernetesFailure failure) {
            return failed(action, ActionStatus.APPLYING, "apply", failure, owner);
        }
        Map<String, Object> details = effects(outcome);
        if (!problems.isEmpty()) {
            details.put("problems", problems);
            String reason = "applied, but verification found: " + String.join("; ", problems);
            move(id, ActionStatus.APPLYING, ActionStatus.FAILED, reason, details, owner);
            return new Work.Moved(id, action.status(), ActionStatus.FAILED, outcome.changed(), reason);
        }
        String reason = action.status() == ActionStatus.APPLYING
                ? "applied and verified, taken up again (after a runner stopped, or a transient failure)"
                : "applied and verified";
        move(id, ActionStatus.APPLYING, ActionStatus.APPLIED, reason, details, owner);
        return new Work.Moved(id, action.status(), ActionStatus.APPLIED, outcome.changed(), reason);
    }

    private Work expire(Action action, String owner) {
        String reason = "expired at " + action.expiresAt() + " (expireAfter "
                + Durations.format(Objects.requireNonNull(action.expireAfter())) + "): rolling back";
        enter(action.id(), ActionStatus.APPLIED, ActionStatus.ROLLING_BACK, reason, owner);
        return rollBack(action, owner);
    }

    /** Claimed applied (expired), or rolling-back (a person's rollback, or one a stopped runner left). */
    private Work rollBack(Action action, String owner) {
        UUID id = action.id();
        ActionPlan plan;
        try {
            plan = plan(id);
        } catch (PlanTampered tampered) {
            return refuseTampered(action, ActionStatus.ROLLING_BACK, tampered, owner);
        }
        ActionExecutor.Outcome outcome;
        List<String> leftovers;
        try {
            fence(id, ActionStatus.ROLLING_BACK, owner, "running its undo steps");
            outcome = executor.rollback(plan);
            fence(id, ActionStatus.ROLLING_BACK, owner, "looking for leftovers");
            leftovers = executor.leftovers(plan.actionId());
        } catch (KubernetesFailure failure) {
            return failed(action, ActionStatus.ROLLING_BACK, "rollback", failure, owner);
        }
        Map<String, Object> details = effects(outcome);
        if (!leftovers.isEmpty()) {
            details.put("leftovers", leftovers);
            String reason = "rolled back, but left behind: " + String.join("; ", leftovers);
            move(id, ActionStatus.ROLLING_BACK, ActionStatus.FAILED, reason, details, owner);
            return new Work.Moved(id, action.status(), ActionStatus.FAILED, outcome.changed(), reason);
        }
        String reason = "rolled back: nothing of the action is left in the cluster";
        move(id, ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK, reason, details, owner);
        return new Work.Moved(id, action.status(), ActionStatus.ROLLED_BACK, outcome.changed(), reason);
    }

    private Work approvalTimedOut(Action action, String owner) {
        String deadline = "nobody decided by " + action.approvalDeadline() + ", and stage " + action.stage();
        Transition move = switch (action.onApprovalTimeout()) {
            case REJECT ->
                Transition.of(
                        action.id(),
                        ActionStatus.PENDING_APPROVAL,
                        ActionStatus.EXPIRED,
                        APPROVAL_TIMEOUT,
                        deadline + " says onApprovalTimeout: reject");
            case APPROVE ->
                Transition.of(
                        action.id(),
                        ActionStatus.PENDING_APPROVAL,
                        ActionStatus.APPROVED,
                        APPROVAL_TIMEOUT,
                        deadline + " says onApprovalTimeout: approve — approved by silence");
        };
        ledger.transition(move.underLease(owner));
        return new Work.Moved(action.id(), ActionStatus.PENDING_APPROVAL, move.to(), List.of(), move.reason());
    }

    /**
     * A failure of the executor in {@code phase}: a transient one is retried after a backoff (until
     * there were too many), any other fails the action.
     */
    private Work failed(Action action, ActionStatus phase, String doing, KubernetesFailure failure, String owner) {
        UUID id = action.id();
        Map<String, Object> details =
                Map.of("kubernetesFailure", failure.reason().wireName());
        String reason;
        if (failure.reason() == KubernetesFailure.Reason.TRANSIENT) {
            OptionalInt count = ledger.countTransientFailure(id, owner);
            if (count.isEmpty()) {
                return new Work.Lost(id, phase, "another runner holds action " + id + " now");
            }
            int failures = count.getAsInt();
            if (failures < MAX_TRANSIENT_FAILURES) {
                Duration backoff = backoff(failures);
                // Given back, due again after the backoff for any runner: a retry, not a stall.
                if (!ledger.retryAfter(id, owner, backoff)) {
                    return new Work.Lost(id, phase, "another runner holds action " + id + " now");
                }
                return new Work.Deferred(id, phase, failures, backoff, failure.getMessage());
            }
            reason = doing + " failed " + failures + " times in a row with transient errors, the last: "
                    + failure.getMessage();
        } else {
            reason = doing + " failed: " + failure.getMessage();
        }
        move(id, phase, ActionStatus.FAILED, reason, details, owner);
        return new Work.Moved(id, action.status(), ActionStatus.FAILED, List.of(), reason);
    }

    /** 30 s after the first transient failure, doubling: 30 s, 1 min, 2 min, 4 min. */
    static Duration backoff(int failures) {
        return FIRST_BACKOFF.multipliedBy(1L << (failures - 1));
    }

    private void move(
            UUID id, ActionStatus from, ActionStatus to, String reason, Map<String, Object> details, String owner) {
        ledger.transition(new Transition(id, from, to, ACTOR, reason, details, owner));
    }

    /** Into applying or rolling-back: the move renews the lease for the work that starts now. */
    private void enter(UUID id, ActionStatus from, ActionStatus to, String reason, String owner) {
        ledger.transition(Transition.of(id, from, to, ACTOR, reason).underLease(owner, lease));
    }

    /**
     * Renews this runner's lease on the action before the next piece of work, or stops the run
     * there: without a live lease, another runner may be at work on the action, or about to be.
     */
    private void fence(UUID id, ActionStatus status, String owner, String before) {
        if (!ledger.renewLease(id, owner, lease)) {
            throw new Fenced(
                    status,
                    owner + " no longer holds a live lease on action " + id + ", so stopped before " + before
                            + ": another runner may have taken it over");
        }
    }

    /** The run of one action stops: its lease is lost. Never leaves {@link #run}. */
    private static final class Fenced extends RuntimeException {
        private final ActionStatus status;

        Fenced(ActionStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** An edited plan is neither applied nor undone: the action fails, and a person looks at it. */
    private Work refuseTampered(Action action, ActionStatus phase, PlanTampered tampered, String owner) {
        move(action.id(), phase, ActionStatus.FAILED, tampered.getMessage(), Map.of("planTampered", true), owner);
        return new Work.Moved(action.id(), action.status(), ActionStatus.FAILED, List.of(), tampered.getMessage());
    }

    private ActionPlan plan(UUID id) {
        // Only an action with a plan can be approved: the ledger refuses the rest (NO_PLAN).
        return ledger.plan(id).orElseThrow(() -> new IllegalStateException("action " + id + " has no plan"));
    }

    /** What the audit row keeps of the executor's run: what changed and what was as wanted already. */
    private static Map<String, Object> effects(ActionExecutor.Outcome outcome) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("changed", outcome.changed());
        details.put("unchanged", outcome.unchanged());
        return details;
    }
}
