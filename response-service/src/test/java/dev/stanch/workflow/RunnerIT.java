package dev.stanch.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.Planning;
import dev.stanch.action.Reversibility;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Pause;
import dev.stanch.kubernetes.ActionExecutor;
import dev.stanch.kubernetes.KubernetesFailure;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.AuditEntry;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.ledger.MutableClock;
import dev.stanch.ledger.NewAction;
import dev.stanch.ledger.Transition;
import dev.stanch.ledger.TransitionConflict;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The runner on a real PostgreSQL, with a stand-in for the cluster that records the calls made to it
 * and lets a test act in the middle of one (a lease running out during an apply). Time is a
 * hand-moved clock; nothing sleeps. {@link WorkflowIT} runs the same runner on a real API server.
 */
@ExtendWith(LedgerPostgresExtension.class)
class RunnerIT {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration LEASE = Duration.ofMinutes(2);
    private static final Target WEB = new Target("shop", "web-1", "main");

    private final MutableClock clock = new MutableClock(T0);
    private final Ledger ledger;
    private final DataSource database;

    RunnerIT(LedgerPostgres postgres) {
        // A database per test: a runner claims whatever is due in it.
        this.database = postgres.newDatabase();
        this.ledger = new Ledger(database, clock);
        ledger.storeDetection(new Detection(
                "runner-detection",
                Source.FALCO,
                "Terminal shell in container",
                Severity.HIGH,
                T0,
                WEB,
                null,
                Map.of()));
    }

    /**
     * A runner that stalls in the middle of an apply for longer than its lease — a long GC pause, a
     * slow API server — finds, before its next API call, that it no longer holds the lease: it stops
     * there, and the runner that took the action over in the meantime finishes it.
     */
    @Test
    void aRunnerWhoseLeaseRanOutStopsBeforeItsNextCallAndAnotherFinishes() {
        UUID id = approved();
        FakeCluster other = new FakeCluster();
        Runner taker = new Runner(ledger, other, LEASE, 10);
        List<Work> takenOver = new ArrayList<>();
        FakeCluster slow = new FakeCluster();
        slow.during = call -> {
            clock.advance(LEASE.plusSeconds(1));
            takenOver.addAll(taker.runDue("runner-b"));
        };

        List<Work> work = new Runner(ledger, slow, LEASE, 10).runDue("runner-a");

        assertThat(work).singleElement().isInstanceOfSatisfying(Work.Lost.class, lost -> {
            assertThat(lost.status()).isEqualTo(ActionStatus.APPLYING);
            assertThat(lost.reason())
                    .isEqualTo("runner-a no longer holds a live lease on action " + id
                            + ", so stopped before verifying it: another runner may have taken it over");
        });
        assertThat(slow.calls).containsExactly("apply " + id);
        assertThat(takenOver).singleElement().isInstanceOfSatisfying(Work.Moved.class, moved -> {
            assertThat(moved.from()).isEqualTo(ActionStatus.APPLYING);
            assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED);
        });
        assertThat(other.calls).containsExactly("apply " + id, "verify " + id);
        assertThat(trail(id))
                .containsExactly(
                        ActionStatus.PLANNED, ActionStatus.APPROVED, ActionStatus.APPLYING, ActionStatus.APPLIED);
        assertThat(ledger.verify().intact()).isTrue();
    }

    /**
     * Whoever can write the database could make Stanch act with its ClusterRole by editing a plan:
     * the runner checks the plan against the digest its creation row recorded, and an edited one is
     * never carried out — the action fails, and the cluster sees no call.
     */
    @Test
    void aPlanEditedOutsideStanchIsNeverCarriedOut() {
        UUID id = approved();
        JdbcClient.create(database)
                .sql("update actions set plan = jsonb_set(plan, '{summary}', '\"something else\"') where id = :id")
                .param("id", id)
                .update();
        FakeCluster cluster = new FakeCluster();

        List<Work> work = new Runner(ledger, cluster, LEASE, 10).runDue("runner-a");

        assertThat(work).singleElement().isInstanceOfSatisfying(Work.Moved.class, moved -> {
            assertThat(moved.to()).isEqualTo(ActionStatus.FAILED);
            assertThat(moved.reason()).contains("edited outside Stanch");
        });
        assertThat(cluster.calls).isEmpty();
        assertThat(ledger.action(id).status()).isEqualTo(ActionStatus.FAILED);
    }

    /**
     * A claim leases a whole batch at once: the runner renews the lease before it takes up each
     * action, and leaves alone one whose lease the actions before it used up — another runner, or
     * its own next run, takes it up.
     */
    @Test
    void eachActionOfABatchIsTakenUpOnlyUnderALiveLease() {
        UUID first = approved();
        clock.advance(Duration.ofSeconds(1));
        UUID second = approved();
        FakeCluster slow = new FakeCluster();
        slow.during = call -> {
            if (call.endsWith(first.toString())) {
                // Each call within the first action's renewed lease, both together longer than the lease
                // the claim gave the second.
                clock.advance(LEASE.minusSeconds(1));
            }
        };
        Runner runner = new Runner(ledger, slow, LEASE, 10);

        List<Work> work = runner.runDue("runner-a");

        assertThat(work).hasSize(2);
        assertThat(work.get(0)).isInstanceOf(Work.Moved.class);
        assertThat(work.get(1)).isInstanceOfSatisfying(Work.Lost.class, lost -> {
            assertThat(lost.actionId()).isEqualTo(second);
            assertThat(lost.status()).isEqualTo(ActionStatus.APPROVED);
            assertThat(lost.reason()).contains("stopped before taking it up");
        });
        assertThat(ledger.action(second).status()).isEqualTo(ActionStatus.APPROVED);
        assertThat(slow.calls).containsExactly("apply " + first, "verify " + first);

        List<Work> next = runner.runDue("runner-a");
        assertThat(next).singleElement().isInstanceOfSatisfying(Work.Moved.class, moved -> {
            assertThat(moved.actionId()).isEqualTo(second);
            assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED);
        });
    }

    /**
     * An action that stops its runner every time — here an unexpected error, left to its lease like a
     * crash — is taken up again {@value Runner#MAX_STALLS} times, then failed with the reason instead
     * of looping.
     */
    @Test
    void anActionFoundStalledTooOftenIsFailedInsteadOfTakenUpForEver() {
        UUID id = approved();
        FakeCluster crashing = new FakeCluster();
        crashing.during = call -> {
            throw new IllegalStateException("the executor ran out of memory");
        };
        Runner runner = new Runner(ledger, crashing, LEASE, 10);

        List<Class<?>> outcomes = new ArrayList<>();
        List<Integer> stalls = new ArrayList<>();
        for (int run = 0; run <= Runner.MAX_STALLS + 1; run++) {
            Work work = runner.runDue("runner-a").getFirst();
            outcomes.add(work.getClass());
            stalls.add(ledger.action(id).stalls());
            clock.advance(LEASE); // the lease it left runs out
        }

        assertThat(outcomes)
                .containsExactly(
                        Work.Crashed.class,
                        Work.Crashed.class,
                        Work.Crashed.class,
                        Work.Crashed.class,
                        Work.Moved.class);
        assertThat(stalls).containsExactly(0, 1, 2, 3, 4);
        assertThat(crashing.calls).hasSize(Runner.MAX_STALLS + 1);
        Action failed = ledger.action(id);
        assertThat(failed.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(failed.failureReason())
                .isEqualTo("found stalled 4 times while applying (a runner stopped, crashed or overran its lease in"
                        + " the middle each time): failed instead of taken up again; it may hold some of its changes");
        assertThat(runner.runDue("runner-a")).as("failed waits for a person").isEmpty();

        // A person's rollback starts a new phase, with stalls counted afresh.
        new Responder(ledger).rollback(id, ActionStatus.FAILED, "alice", "undo whatever it did");
        crashing.during = call -> {};
        assertThat(ledger.action(id).stalls()).isZero();
        assertThat(runner.runDue("runner-a")).singleElement().isInstanceOfSatisfying(Work.Moved.class, moved -> {
            assertThat(moved.to()).isEqualTo(ActionStatus.ROLLED_BACK);
        });
    }

    /** A transient failure gives the lease back for a backoff: a retry, never counted as a stall. */
    @Test
    void aTransientFailureIsRetriedAfterItsBackoffAndIsNoStall() {
        UUID id = approved();
        FakeCluster flaky = new FakeCluster();
        flaky.during = call -> {
            if (flaky.calls.size() <= Runner.MAX_TRANSIENT_FAILURES - 1) {
                throw new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "apply: the API server did not answer");
            }
        };
        Runner runner = new Runner(ledger, flaky, LEASE, 10);

        for (int failure = 1; failure < Runner.MAX_TRANSIENT_FAILURES; failure++) {
            Work.Deferred deferred = (Work.Deferred) runner.runDue("runner-a").getFirst();
            Action waiting = ledger.action(id);
            assertThat(waiting.lease()).as("given back").isNull();
            assertThat(waiting.retryAt()).isEqualTo(clock.instant().plus(deferred.retryIn()));
            assertThat(ledger.stalled())
                    .as("waiting for its retry, not stalled")
                    .isEmpty();
            assertThat(runner.runDue("runner-b")).as("not before the backoff").isEmpty();
            clock.advance(deferred.retryIn());
        }
        Work done = runner.runDue("runner-b").getFirst();

        assertThat(done)
                .isInstanceOfSatisfying(
                        Work.Moved.class, moved -> assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED));
        assertThat(ledger.find(id).orElseThrow().trail())
                .extracting(AuditEntry::to)
                .containsOnlyOnce(ActionStatus.APPLYING);
    }

    /**
     * A person rolls back what they saw: when the action moved on meanwhile — here it expired and
     * was rolled back — their rollback is refused as STATUS_CHANGED, not carried out on a state they
     * never saw.
     */
    @Test
    void aRollbackOfAnActionThatMovedOnSinceThePersonSawItIsRefused() {
        UUID id = approved();
        Runner runner = new Runner(ledger, new FakeCluster(), LEASE, 10);
        runner.runDue("runner-a");
        ActionStatus seen = ledger.action(id).status();
        assertThat(seen).isEqualTo(ActionStatus.APPLIED);

        clock.advance(Duration.ofHours(1)); // it expires and is rolled back while alice reads it
        assertThat(runner.runDue("runner-a")).singleElement().isInstanceOfSatisfying(Work.Moved.class, moved -> {
            assertThat(moved.to()).isEqualTo(ActionStatus.ROLLED_BACK);
        });

        assertThatThrownBy(() -> new Responder(ledger).rollback(id, seen, "alice", "false positive"))
                .isInstanceOfSatisfying(TransitionConflict.class, conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.STATUS_CHANGED);
                    assertThat(conflict.getMessage())
                            .startsWith("action " + id + " is rolled-back, not applied as read: it moved on in the"
                                    + " meantime");
                });
    }

    /**
     * While paused, nothing starts applying — an approved action stays approved and is reported
     * deferred, one left applying by a runner that stopped is left alone — while what decides or
     * restores goes on: approval timeouts, expiry, a person's rollback. Resumed, the rest follows.
     */
    @Test
    void whilePausedNothingIsAppliedButTimeoutsExpiryAndRollbacksGoOn() {
        FakeCluster cluster = new FakeCluster();
        AtomicReference<Optional<Pause>> switchedOn = new AtomicReference<>(Optional.empty());
        Runner runner = new Runner(ledger, cluster, LEASE, 10, switchedOn::get);
        UUID expiring = approved();
        UUID undone = approved();
        runner.runDue("runner-a"); // both applied, expiring in an hour
        new Responder(ledger).rollback(undone, ActionStatus.APPLIED, "alice", "false positive");
        UUID waiting = approved();
        UUID timesOut = admitted(
                Approval.REQUIRED,
                Duration.ofMinutes(5),
                OnApprovalTimeout.REJECT,
                new Admit.PendingApproval(Duration.ofMinutes(5), OnApprovalTimeout.REJECT, "waiting for approval"));
        UUID approvedBySilence = admitted(
                Approval.REQUIRED,
                Duration.ofMinutes(5),
                OnApprovalTimeout.APPROVE,
                new Admit.PendingApproval(Duration.ofMinutes(5), OnApprovalTimeout.APPROVE, "waiting for approval"));
        UUID leftApplying = approved();
        ledger.claim("crashed", Set.of(ActionStatus.APPROVED), LEASE, 10); // leftApplying and waiting
        ledger.transition(
                Transition.of(leftApplying, ActionStatus.APPROVED, ActionStatus.APPLYING, Runner.ACTOR, "applying")
                        .underLease("crashed", LEASE));
        cluster.calls.clear();
        Pause pause = new Pause("bob", clock.instant(), "incident 4711: hands off the cluster");
        switchedOn.set(Optional.of(pause));

        clock.advance(Duration.ofHours(1)); // every lease ran out, every deadline and expiry passed
        List<Work> work = runner.runDue("runner-a");

        Map<UUID, Work> byAction = new java.util.HashMap<>();
        work.forEach(w -> byAction.put(w.actionId(), w));
        assertThat(byAction).containsOnlyKeys(expiring, undone, timesOut, approvedBySilence, waiting);
        assertThat(moved(byAction.get(expiring))).isEqualTo(ActionStatus.ROLLED_BACK);
        assertThat(moved(byAction.get(undone))).isEqualTo(ActionStatus.ROLLED_BACK);
        assertThat(moved(byAction.get(timesOut))).isEqualTo(ActionStatus.EXPIRED);
        String paused = "paused by bob at " + pause.at() + ": incident 4711: hands off the cluster";
        for (UUID approved : List.of(waiting, approvedBySilence)) {
            assertThat(byAction.get(approved))
                    .isEqualTo(new Work.Deferred(approved, ActionStatus.APPROVED, 0, null, paused));
            assertThat(ledger.action(approved).status()).isEqualTo(ActionStatus.APPROVED);
            assertThat(ledger.action(approved).lease()).as("given back").isNull();
        }
        assertThat(ledger.action(leftApplying).status()).isEqualTo(ActionStatus.APPLYING);
        assertThat(ledger.action(leftApplying).stalls())
                .as("not taken up, so not counted")
                .isZero();
        assertThat(cluster.calls).noneMatch(call -> call.startsWith("apply"));

        switchedOn.set(Optional.empty());
        List<Work> resumed = runner.runDue("runner-a");

        assertThat(resumed)
                .extracting(Work::actionId)
                .containsExactlyInAnyOrder(waiting, approvedBySilence, leftApplying);
        assertThat(resumed).allSatisfy(w -> assertThat(moved(w)).isEqualTo(ActionStatus.APPLIED));
        assertThat(ledger.verify().intact()).isTrue();
    }

    private static ActionStatus moved(Work work) {
        assertThat(work).isInstanceOf(Work.Moved.class);
        return ((Work.Moved) work).to();
    }

    /** People's decisions are made under people's names: Stanch's own are refused before the ledger is asked. */
    @Test
    void aDecisionUnderTheNameOfAStanchComponentIsRefused() {
        UUID id = admitted(
                Approval.REQUIRED,
                Duration.ofMinutes(30),
                OnApprovalTimeout.APPROVE,
                new Admit.PendingApproval(Duration.ofMinutes(30), OnApprovalTimeout.APPROVE, "waiting for approval"));
        Responder responder = new Responder(ledger);

        assertThatThrownBy(() -> responder.approve(id, "stanch:approval-timeout", "approved by silence, surely"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("actor stanch:approval-timeout is not a person: names beginning with stanch: are Stanch's"
                        + " own components; a decision is recorded under the name of the person who made it");
        assertThatThrownBy(() -> responder.reject(id, "stanch:guardrails", "no"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> responder.rollback(id, "stanch:executor", "undo"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(trail(id)).containsExactly(ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL);

        assertThat(responder
                        .approve(id, "alice", "the shell is not ours")
                        .action()
                        .status())
                .isEqualTo(ActionStatus.APPROVED);
    }

    // ---------------------------------------------------------------------------------------------

    /** A new action of an approval-free stage, admitted: approved, due at once. */
    private UUID approved() {
        return admitted(Approval.AUTO, null, OnApprovalTimeout.REJECT, new Admit.Approved("approved: auto"));
    }

    private UUID admitted(
            Approval approval, @Nullable Duration approvalTimeout, OnApprovalTimeout onTimeout, Admit admit) {
        UUID id = Ledger.newActionId();
        ActionRequest request = new ActionRequest(
                "terminal-shell",
                "isolate",
                1,
                ActionKind.QUARANTINE_POD,
                WEB,
                Map.of("detach", false),
                approval,
                approvalTimeout,
                onTimeout,
                Duration.ofHours(1),
                false);
        ActionPlan plan = new ActionPlan(
                id.toString(),
                request.kind(),
                WEB,
                request.params(),
                "quarantine " + WEB.key(),
                List.of(),
                List.of(),
                List.of(),
                List.of(new Reversibility("label the pod", true, "rollback removes the label")),
                List.of(),
                List.of(),
                List.of());
        ledger.createAction(
                new NewAction(id, "runner-detection", request, new Planning.Planned(plan), Intake.REQUESTER));
        ledger.transition(Transition.admitted(id, Intake.GUARDRAILS, admit));
        return id;
    }

    private List<ActionStatus> trail(UUID id) {
        return ledger.find(id).orElseThrow().trail().stream()
                .map(AuditEntry::to)
                .toList();
    }

    /** Stands in for the cluster: every call succeeds and changes nothing, and is recorded. */
    private static final class FakeCluster implements Cluster {
        final List<String> calls = new ArrayList<>();
        /** What happens while a call runs, given the call as {@link #calls} records it. */
        Consumer<String> during = call -> {};

        private void call(String call) {
            calls.add(call);
            during.accept(call);
        }

        @Override
        public ActionExecutor.Outcome apply(ActionPlan plan) {
            call("apply " + plan.actionId());
            return new ActionExecutor.Outcome(List.of(), List.of());
        }

        @Override
        public List<String> verify(ActionPlan plan) {
            call("verify " + plan.actionId());
            return List.of();
        }

        @Override
        public ActionExecutor.Outcome rollback(ActionPlan plan) {
            call("rollback " + plan.actionId());
            return new ActionExecutor.Outcome(List.of(), List.of());
        }

        @Override
        public List<String> leftovers(String actionId) {
            call("leftovers " + actionId);
            return List.of();
        }
    }
}
