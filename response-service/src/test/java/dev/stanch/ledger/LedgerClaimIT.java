package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.Approval;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Claims and leases on a real PostgreSQL: two executors never take the same action, leases keep
 * others out until they run out, and work falls due at its time. Each test has a database of its
 * own, so that "nothing left" means its own actions.
 */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerClaimIT {

    private static final Duration LEASE = Duration.ofMinutes(1);
    private static final Set<ActionStatus> APPROVED = Set.of(ActionStatus.APPROVED);

    private MutableClock clock;
    private DataSource dataSource;
    private Ledger ledger;

    @BeforeEach
    void database(LedgerPostgres postgres) {
        dataSource = postgres.newDatabase();
        clock = new MutableClock(T0);
        ledger = new Ledger(dataSource, clock);
        ledger.storeDetection(detection("claims", T0, WEB));
    }

    /**
     * Two executors — two ledgers, two threads, each transaction on a connection of its own — claim
     * and apply the same approved actions at once, round after round: every action is taken by
     * exactly one of them.
     */
    @Test
    void twoExecutorsNeverClaimTheSameAction() throws Exception {
        Ledger first = new Ledger(dataSource, clock);
        Ledger second = new Ledger(dataSource, clock);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 25; round++) {
                Set<UUID> approved = new HashSet<>();
                for (int i = 0; i < 16; i++) {
                    approved.add(approvedAction(ledger));
                }
                CyclicBarrier start = new CyclicBarrier(2);
                Future<List<UUID>> a = pool.submit(() -> drain(first, "executor-a", start));
                Future<List<UUID>> b = pool.submit(() -> drain(second, "executor-b", start));
                List<UUID> takenByA = a.get();
                List<UUID> takenByB = b.get();

                List<UUID> all = new ArrayList<>(takenByA);
                all.addAll(takenByB);
                assertThat(all).as("round %d: taken once each", round).doesNotHaveDuplicates();
                assertThat(new HashSet<>(all))
                        .as("round %d: none left behind", round)
                        .isEqualTo(approved);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ledger.claim("executor-c", APPROVED, LEASE, 100)).isEmpty();
        assertThat(ledger.verify().intact()).isTrue();
    }

    /** Claims a few at a time until nothing is left, moving each to applying under its lease. */
    private static List<UUID> drain(Ledger ledger, String owner, CyclicBarrier start) throws Exception {
        start.await();
        List<UUID> taken = new ArrayList<>();
        while (true) {
            List<Action> claimed = ledger.claim(owner, APPROVED, LEASE, 3);
            if (claimed.isEmpty()) {
                return taken;
            }
            for (Action action : claimed) {
                assertThat(action.lease().owner()).isEqualTo(owner);
                ledger.transition(
                        Transition.of(action.id(), ActionStatus.APPROVED, ActionStatus.APPLYING, owner, "applying")
                                .underLease(owner, LEASE));
                taken.add(action.id());
            }
        }
    }

    @Test
    void aLeaseKeepsOthersOutUntilItRunsOut() {
        UUID id = approvedAction(ledger);

        List<Action> claimed = ledger.claim("executor-a", APPROVED, LEASE, 10);
        assertThat(claimed).extracting(Action::id).containsExactly(id);
        assertThat(claimed.getFirst().lease()).isEqualTo(new Action.Lease("executor-a", T0.plus(LEASE)));
        assertThat(ledger.claim("executor-b", APPROVED, LEASE, 10)).isEmpty();

        clock.advance(LEASE.minusNanos(1000));
        assertThat(ledger.claim("executor-b", APPROVED, LEASE, 10))
                .as("a microsecond before it ends")
                .isEmpty();
        clock.advance(Duration.ofNanos(1000));
        assertThat(ledger.claim("executor-b", APPROVED, LEASE, 10))
                .as("when it ends")
                .extracting(Action::id)
                .containsExactly(id);

        // executor-a, back from a long pause, learns that it lost the action.
        assertThat(ledger.renewLease(id, "executor-a", LEASE)).isFalse();
        assertThatThrownBy(() -> ledger.transition(
                        Transition.of(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "executor-a", "applying")
                                .underLease("executor-a", LEASE)))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
                    assertThat(conflict.getMessage())
                            .isEqualTo("executor-a does not hold the lease on action " + id + " (executor-b does)");
                });
        assertThat(ledger.renewLease(id, "executor-b", Duration.ofMinutes(5))).isTrue();
        assertThat(ledger.find(id).orElseThrow().action().lease())
                .isEqualTo(new Action.Lease("executor-b", clock.instant().plus(Duration.ofMinutes(5))));
    }

    /**
     * Fencing: an executor whose lease ran out can no longer move the action — even while nobody has
     * taken it over yet, since anyone may at any moment — nor renew its lease; another executor then
     * claims it and finishes the work.
     */
    @Test
    void anExecutorWhoseLeaseRanOutCanNoLongerMoveTheActionAndAnotherTakesIt() {
        UUID id = approvedAction(ledger);
        ledger.claim("executor-a", APPROVED, LEASE, 1);
        ledger.transition(Transition.of(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "stanch:executor", "applying")
                .underLease("executor-a", LEASE));
        Transition applied = Transition.of(
                        id, ActionStatus.APPLYING, ActionStatus.APPLIED, "stanch:executor", "applied and verified")
                .underLease("executor-a");

        clock.advance(LEASE.minusNanos(1000));
        assertThat(ledger.renewLease(id, "executor-a", LEASE))
                .as("a microsecond before it runs out")
                .isTrue();
        clock.advance(LEASE); // executor-a stalls in the middle of its apply, for a whole lease
        long auditRows = ledger.find(id).orElseThrow().trail().size();

        assertThatThrownBy(() -> ledger.transition(applied))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
                    assertThat(conflict.getMessage())
                            .isEqualTo("executor-a's lease on action " + id + " ran out at " + clock.instant());
                });
        assertThat(ledger.renewLease(id, "executor-a", LEASE))
                .as("a lease that ran out is not renewed")
                .isFalse();
        assertThat(ledger.find(id).orElseThrow().trail()).hasSize((int) auditRows);

        assertThat(ledger.claim("executor-b", Set.of(ActionStatus.APPLYING), LEASE, 10))
                .extracting(Action::id)
                .containsExactly(id);
        Action done = ledger.transition(Transition.of(
                                id, ActionStatus.APPLYING, ActionStatus.APPLIED, "stanch:executor", "applied again")
                        .underLease("executor-b"))
                .action();
        assertThat(done.status()).isEqualTo(ActionStatus.APPLIED);
        assertThatThrownBy(() -> ledger.transition(
                        Transition.of(id, ActionStatus.APPLIED, ActionStatus.ROLLING_BACK, "stanch:executor", "late")
                                .underLease("executor-a", LEASE)))
                .asInstanceOf(type(TransitionConflict.class))
                .extracting(TransitionConflict::reason)
                .isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
        assertThat(ledger.verify().intact()).isTrue();
    }

    /**
     * Into applying, and out of applying and rolling-back, only an executor moves an action, under its
     * lease: nobody else.
     */
    @Test
    void anExecutorsMovesNeedTheLease() {
        UUID id = approvedAction(ledger);
        assertThatThrownBy(() -> ledger.transition(Transition.of(
                        id, ActionStatus.APPROVED, ActionStatus.APPLYING, "alice@example.com", "go ahead")))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
                    assertThat(conflict.getMessage())
                            .isEqualTo("approved → applying is an executor's move, made under its lease on action " + id
                                    + ": alice@example.com named none");
                });
        ledger.claim("executor-a", APPROVED, LEASE, 1);
        ledger.transition(Transition.of(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "stanch:executor", "applying")
                .underLease("executor-a", LEASE));

        for (ActionStatus to : List.of(ActionStatus.APPLIED, ActionStatus.FAILED)) {
            assertThatThrownBy(() -> ledger.transition(
                            Transition.of(id, ActionStatus.APPLYING, to, "alice@example.com", "done, I think")))
                    .asInstanceOf(type(TransitionConflict.class))
                    .satisfies(conflict -> {
                        assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
                        assertThat(conflict.getMessage())
                                .isEqualTo("applying → " + to.wireName()
                                        + " is an executor's move, made under its lease on action " + id
                                        + ": alice@example.com named none");
                    });
        }
        ledger.transition(Transition.of(id, ActionStatus.APPLYING, ActionStatus.FAILED, "stanch:executor", "forbidden")
                .underLease("executor-a"));
        ledger.transition(Transition.of(id, ActionStatus.FAILED, ActionStatus.ROLLING_BACK, "alice", "undo it"));
        clock.advance(Duration.ofHours(1)); // nobody holds a lease on it now, and still
        assertThatThrownBy(() -> ledger.transition(
                        Transition.of(id, ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK, "alice", "I undid it")))
                .asInstanceOf(type(TransitionConflict.class))
                .extracting(TransitionConflict::reason)
                .isEqualTo(TransitionConflict.Reason.LEASE_NOT_HELD);
        assertThat(ledger.action(id).status()).isEqualTo(ActionStatus.ROLLING_BACK);
        assertThat(ledger.verify().intact()).as("refused moves leave no trace").isTrue();
    }

    @Test
    void aReleasedLeaseLetsOthersClaimAtOnce() {
        UUID id = approvedAction(ledger);
        ledger.claim("executor-a", APPROVED, LEASE, 10);

        assertThat(ledger.releaseLease(id, "executor-b")).isFalse();
        assertThat(ledger.releaseLease(id, "executor-a")).isTrue();

        assertThat(ledger.claim("executor-b", APPROVED, LEASE, 10))
                .extracting(Action::id)
                .containsExactly(id);
    }

    @Test
    void theLeaseLastsWhileTheExecutorWorksAndEndsWhenItIsDone() {
        UUID id = approvedAction(ledger);
        ledger.claim("executor-a", APPROVED, LEASE, 10);
        clock.advance(Duration.ofSeconds(40)); // the actions claimed before it took their time

        Action applying = ledger.transition(
                        Transition.of(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "executor-a", "applying")
                                .underLease("executor-a", LEASE))
                .action();
        assertThat(applying.lease())
                .as("renewed for the work that starts now, not what was left of the claim's")
                .isEqualTo(new Action.Lease("executor-a", T0.plusSeconds(40).plus(LEASE)));

        Action applied = ledger.transition(
                        Transition.of(id, ActionStatus.APPLYING, ActionStatus.APPLIED, "executor-a", "in effect")
                                .underLease("executor-a"))
                .action();
        assertThat(applied.lease()).isNull();
    }

    @Test
    void approvalsFallDueAtTheirDeadlineAndOnlyWithOne() {
        Set<ActionStatus> pending = Set.of(ActionStatus.PENDING_APPROVAL);
        UUID timed = pendingAction(Duration.ofMinutes(15));
        pendingAction(null); // waits for a person, however long

        clock.advance(Duration.ofMinutes(15).minusNanos(1000));
        assertThat(ledger.claim("approvals", pending, LEASE, 10)).isEmpty();
        clock.advance(Duration.ofNanos(1000));
        assertThat(ledger.claim("approvals", pending, LEASE, 10))
                .extracting(Action::id)
                .containsExactly(timed);

        clock.advance(Duration.ofDays(365));
        assertThat(ledger.claim("approvals", pending, LEASE, 10))
                .as("a year later the lease ran out, but the one without a deadline never falls due")
                .extracting(Action::id)
                .containsExactly(timed);
    }

    @Test
    void appliedActionsFallDueAtTheirExpiryAndOnlyWithOne() {
        Set<ActionStatus> applied = Set.of(ActionStatus.APPLIED);
        UUID expiring = appliedAction(Duration.ofHours(4));
        appliedAction(null); // kept until someone rolls it back

        clock.advance(Duration.ofHours(4).minusNanos(1000));
        assertThat(ledger.claim("expiry", applied, LEASE, 10)).isEmpty();
        clock.advance(Duration.ofNanos(1000));
        assertThat(ledger.claim("expiry", applied, LEASE, 10))
                .extracting(Action::id)
                .containsExactly(expiring);
    }

    @Test
    void workLeftInProgressByAnExecutorThatStoppedIsFoundAndTakenOver() {
        UUID crashed = approvedAction(ledger);
        UUID working = approvedAction(ledger);
        for (Action action : ledger.claim("executor-a", APPROVED, LEASE, 10)) {
            ledger.transition(
                    Transition.of(action.id(), ActionStatus.APPROVED, ActionStatus.APPLYING, "executor-a", "applying")
                            .underLease("executor-a", LEASE));
        }
        clock.advance(Duration.ofSeconds(30));
        assertThat(ledger.renewLease(working, "executor-a", LEASE)).isTrue();
        assertThat(ledger.stalled()).as("both leases still run").isEmpty();

        clock.advance(Duration.ofSeconds(30)); // executor-a stopped renewing crashed's lease
        assertThat(ledger.stalled()).extracting(Action::id).containsExactly(crashed);

        Set<ActionStatus> inProgress = Set.of(ActionStatus.APPLYING, ActionStatus.ROLLING_BACK);
        List<Action> recovered = ledger.claim("executor-b", inProgress, LEASE, 10);
        assertThat(recovered).extracting(Action::id).containsExactly(crashed);
        assertThat(ledger.stalled()).isEmpty();
        Action failed = ledger.transition(Transition.of(
                                crashed,
                                ActionStatus.APPLYING,
                                ActionStatus.FAILED,
                                "executor-b",
                                "recovered after a crash: the policy was never created")
                        .underLease("executor-b"))
                .action();
        assertThat(failed.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(failed.lease()).isNull();
    }

    @Test
    void transientFailuresAreCountedUnderTheLeasePerPhase() {
        UUID id = approvedAction(ledger);
        ledger.claim("executor-a", APPROVED, LEASE, 1);
        assertThat(ledger.countTransientFailure(id, "executor-a"))
                .as("approved is no phase of work")
                .isEmpty();
        ledger.transition(Transition.of(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "executor-a", "applying")
                .underLease("executor-a", LEASE));
        assertThat(ledger.countTransientFailure(id, "executor-a")).hasValue(1);
        assertThat(ledger.countTransientFailure(id, "executor-a")).hasValue(2);
        assertThat(ledger.countTransientFailure(id, "executor-b"))
                .as("not its lease")
                .isEmpty();

        ledger.transition(Transition.of(id, ActionStatus.APPLYING, ActionStatus.FAILED, "executor-a", "gave up")
                .underLease("executor-a"));
        ledger.transition(Transition.of(id, ActionStatus.FAILED, ActionStatus.ROLLING_BACK, "alice", "undo it"));
        ledger.claim("executor-b", Set.of(ActionStatus.ROLLING_BACK), LEASE, 1);
        assertThat(ledger.countTransientFailure(id, "executor-b"))
                .as("the rollback counts afresh")
                .hasValue(1);
    }

    /**
     * The claim reads only due rows, each status through its own partial index: on a ledger of some
     * thousand actions — most finished, many applied without an expiry, pending without a deadline —
     * PostgreSQL plans no sequential scan of {@code actions}. (A plan, not a timing: what the planner
     * chooses once the table has statistics.)
     */
    @Test
    void theClaimReadsEachStatusThroughItsPartialIndex() {
        JdbcClient sql = JdbcClient.create(dataSource);
        sql.sql("""
                        insert into actions (id, detection_id, playbook, stage, occurrence, kind, namespace, pod,
                            params, approval, approval_deadline, on_approval_timeout, expires_at, dry_run, status,
                            plan, requested_by, created_at, updated_at, lease_owner, lease_until)
                        select gen_random_uuid(), 'claims', 'outbound-c2', 'isolate', 1, 'quarantine-pod', 'shop',
                            'web-' || i, '{}', 'auto',
                            case when s = 'pending-approval' and i % 2 = 0 then :now + i * interval '1 second' end,
                            'reject',
                            case when s = 'applied' and i % 2 = 0 then :now + i * interval '1 second' end,
                            false, s, '{}', 'stanch:playbooks', :now, :now - i * interval '1 second',
                            case when s in ('applying', 'rolling-back') then 'executor-a' end,
                            case when s in ('applying', 'rolling-back') then :now + interval '1 minute' end
                        from generate_series(1, 6000) i,
                            lateral (select (array['rolled-back', 'blocked', 'expired', 'dry-run', 'rejected',
                                'rolled-back', 'blocked', 'expired', 'dry-run', 'rejected', 'applied',
                                'pending-approval', 'approved', 'applying', 'rolling-back', 'failed'])[1 + i % 16]
                                as s) status""").param("now", Ledger.timestamp(clock.instant())).update();
        sql.sql("analyze actions").update();

        String plan = String.join(
                "\n",
                sql.sql("explain "
                                + Ledger.claimSql(
                                        EnumSet.of(
                                                ActionStatus.APPROVED,
                                                ActionStatus.PENDING_APPROVAL,
                                                ActionStatus.APPLIED,
                                                ActionStatus.APPLYING,
                                                ActionStatus.ROLLING_BACK),
                                        false))
                        .param("now", Ledger.timestamp(clock.instant()))
                        .param("limit", 10)
                        .param("owner", "executor-b")
                        .param("until", Ledger.timestamp(clock.instant().plus(LEASE)))
                        .query(String.class)
                        .list());

        assertThat(plan)
                .as(plan)
                .doesNotContain("Seq Scan on actions")
                .contains("actions_approved", "actions_approval_due", "actions_expiry_due", "actions_in_progress");
        // And it claims what is due, oldest transition first.
        List<Action> claimed = ledger.claim(
                "executor-b",
                Set.of(ActionStatus.APPROVED, ActionStatus.PENDING_APPROVAL, ActionStatus.APPLIED),
                LEASE,
                10);
        assertThat(claimed).hasSize(10);
        assertThat(claimed).extracting(Action::updatedAt).isSorted();
        assertThat(claimed).allSatisfy(action -> assertThat(action.status()).isEqualTo(ActionStatus.APPROVED));
    }

    @Test
    void aClaimNeedsStatusesALeaseAndALimit() {
        assertThatThrownBy(() -> ledger.claim("x", Set.of(), LEASE, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ledger.claim("x", APPROVED, Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ledger.claim("x", APPROVED, LEASE, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ledger.claim(" ", APPROVED, LEASE, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(JdbcClient.create(dataSource)
                        .sql("select count(*) from actions")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    private static UUID approvedAction(Ledger ledger) {
        UUID id = ledger.createAction(newAction("claims", LedgerFixtures.autoRequest()))
                .id();
        ledger.transition(Transition.of(id, ActionStatus.PLANNED, ActionStatus.APPROVED, "stanch:guardrails", "auto"));
        return id;
    }

    private UUID pendingAction(Duration approvalTimeout) {
        UUID id = ledger.createAction(newAction(
                        "claims",
                        request(ActionKind.QUARANTINE_POD, WEB, Approval.REQUIRED, approvalTimeout, null, false)))
                .id();
        ledger.transition(Transition.of(
                id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "approval required"));
        return id;
    }

    private UUID appliedAction(Duration expireAfter) {
        UUID id = ledger.createAction(newAction(
                        "claims", request(ActionKind.QUARANTINE_POD, WEB, Approval.AUTO, null, expireAfter, false)))
                .id();
        for (var move : List.of(
                List.of(ActionStatus.PLANNED, ActionStatus.APPROVED),
                List.of(ActionStatus.APPROVED, ActionStatus.APPLYING),
                List.of(ActionStatus.APPLYING, ActionStatus.APPLIED))) {
            LedgerFixtures.move(ledger, id, move.get(0), move.get(1), "stanch:executor", "on");
        }
        return id;
    }
}
