package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.Await;
import dev.stanch.detection.Target;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import dev.stanch.workflow.Work;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The runner's workers on a stand-in for the runner: when they run, how wake-ups coalesce, how a
 * burst brings in more workers, the pause, and a clean stop. The interval is an hour wherever a run
 * must come from a wake-up alone. Nothing here measures time: each wait is for a state, and its
 * patience only fails the test.
 */
class RunnerWorkersTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final Duration NEVER = Duration.ofHours(1);
    private static final String OWNER = "test-instance";

    private final List<RunnerWorkers> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(RunnerWorkers::stop);
    }

    @Test
    void aWakeUpRunsAtOnceThoughTheIntervalIsAnHour() {
        ScriptedRounds rounds = new ScriptedRounds(run -> List.of());
        RunnerWorkers workers = start(rounds, 1, 5, NEVER);
        awaitIdle(workers, 1);
        assertThat(rounds.runs.get()).as("the look on start").isEqualTo(1);

        workers.wakeUp();

        await("a run for the wake-up", () -> rounds.runs.get() == 2);
        assertThat(rounds.owners).containsOnly(OWNER);
    }

    @Test
    void withoutWakeUpsOneWorkerLooksEachInterval() {
        ScriptedRounds rounds = new ScriptedRounds(run -> List.of());
        start(rounds, 2, 5, Duration.ofMillis(20));

        await("runs at the interval alone", () -> rounds.runs.get() >= 3);
    }

    @Test
    void aBurstOfWakeUpsQueuesAtMostOneRunPerWorker() {
        ScriptedRounds rounds = new ScriptedRounds(run -> List.of());
        rounds.holdRuns();
        RunnerWorkers workers = start(rounds, 2, 5, NEVER);
        await("the look on start is under way", () -> rounds.inside.size() == 1);
        workers.wakeUp();
        await("both workers are at work", () -> rounds.inside.size() == 2);

        for (int i = 0; i < 200; i++) {
            workers.wakeUp();
        }

        assertThat(workers.pendingWakeUps()).isEqualTo(2);
        rounds.releaseRuns();
        awaitIdle(workers, 2);
        // Runs come only from turns: the look on start, one wake-up, then the two turns kept for 200.
        assertThat(rounds.runs.get()).isEqualTo(4);
    }

    @Test
    void aWorkerThatClaimedAFullBatchRunsAgainAndBringsInAnother() {
        ScriptedRounds rounds = new ScriptedRounds(run -> run == 1 ? moved(2) : List.of());
        rounds.holdRunsAfter(1);
        RunnerWorkers workers = start(rounds, 3, 2, NEVER);

        // With no wake-up but the look on start, a second worker is at work only because the first
        // one's batch was full — while the first goes on with a run of its own.
        await("two workers at work after a full batch", () -> rounds.inside.size() == 2);
        assertThat(rounds.threadsThatRan).hasSize(2);

        rounds.releaseRuns();
        awaitIdle(workers, 3);
        assertThat(rounds.runs.get()).isEqualTo(3);
    }

    @Test
    void aFullBatchHeldByThePauseIsNotRunAgain() {
        ScriptedRounds rounds = new ScriptedRounds(run -> held(3));
        RunnerWorkers workers = start(rounds, 2, 3, NEVER);

        awaitIdle(workers, 2);

        assertThat(rounds.runs.get()).isEqualTo(1);
    }

    @Test
    void aRunThatFailsToClaimIsTriedAgainOnTheNextTurn() {
        ScriptedRounds rounds = new ScriptedRounds(run -> {
            throw new IllegalStateException("the database is away");
        });
        RunnerWorkers workers = start(rounds, 1, 5, NEVER);
        awaitIdle(workers, 1);

        workers.wakeUp();

        await("a second run", () -> rounds.runs.get() == 2);
    }

    @Test
    void stopLetsTheRunInHandFinishAndEndsEveryWorker() throws Exception {
        ScriptedRounds rounds = new ScriptedRounds(run -> List.of());
        rounds.holdRuns();
        RunnerWorkers workers = start(rounds, 4, 5, NEVER);
        await("the look on start is under way", () -> rounds.inside.size() == 1);
        List<Thread> threads = workers.workerThreads();
        assertThat(threads).hasSize(4).allMatch(thread -> thread.getName().startsWith("stanch-runner-"));

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(workers::stop);
        await("stopped taking turns", () -> !workers.isRunning());
        assertThat(stopping).as("waits for the run in hand").isNotDone();
        rounds.releaseRuns();
        stopping.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(rounds.finished.get()).as("the run in hand ended on its own").isEqualTo(1);
        assertThat(threads).noneMatch(Thread::isAlive);
        workers.wakeUp();
        assertThat(rounds.runs.get()).isEqualTo(1);
    }

    @Test
    void onlyAMoveThatLeavesAnActionDueNowIsAWakeUp() {
        Action.Lease lease = new Action.Lease(OWNER, Instant.now().plusSeconds(60));
        assertThat(RunnerWorkers.dueAtOnce(action(ActionStatus.APPROVED, null)))
                .as("auto-approved at intake, approved by a person or by silence")
                .isTrue();
        assertThat(RunnerWorkers.dueAtOnce(action(ActionStatus.ROLLING_BACK, null)))
                .as("a person's rollback")
                .isTrue();
        assertThat(RunnerWorkers.dueAtOnce(action(ActionStatus.ROLLING_BACK, lease)))
                .as("the runner's own rollback on expiry, carried out by that runner")
                .isFalse();
        assertThat(RunnerWorkers.dueAtOnce(action(ActionStatus.APPLYING, lease)))
                .isFalse();
        for (ActionStatus status : List.of(
                ActionStatus.PLANNED,
                ActionStatus.PENDING_APPROVAL,
                ActionStatus.APPLIED,
                ActionStatus.FAILED,
                ActionStatus.ROLLED_BACK)) {
            assertThat(RunnerWorkers.dueAtOnce(action(status, null)))
                    .as(status.wireName())
                    .isFalse();
        }

        RunnerWorkers workers = new RunnerWorkers(
                new ScriptedRounds(run -> List.of()), OWNER, new StanchProperties.Runner(null, NEVER, null, 5, 3));
        workers.committed(action(ActionStatus.APPLIED, null), ActionStatus.APPLYING, Instant.now());
        assertThat(workers.pendingWakeUps()).isZero();
        for (int i = 0; i < 10; i++) {
            workers.committed(action(ActionStatus.APPROVED, null), ActionStatus.PLANNED, null);
        }
        assertThat(workers.pendingWakeUps()).as("one turn per worker at most").isEqualTo(3);
    }

    @Test
    void anInstanceWithTheRunnerOffDoesNotStartIt() {
        RunnerWorkers workers = new RunnerWorkers(
                new ScriptedRounds(run -> List.of()),
                OWNER,
                new StanchProperties.Runner(false, null, null, null, null));

        assertThat(workers.isAutoStartup()).isFalse();
    }

    @Test
    void anExplicitStartOfAnInstanceWithTheRunnerOffStartsNoWorker() {
        ScriptedRounds rounds = new ScriptedRounds(run -> List.of());
        RunnerWorkers workers = new RunnerWorkers(rounds, OWNER, new StanchProperties.Runner(false, NEVER, null, 5, 2));
        started.add(workers);

        workers.start(); // as context.start() would

        assertThat(workers.isRunning()).isFalse();
        assertThat(workers.workerThreads()).isEmpty();
        workers.wakeUp();
        assertThat(rounds.runs.get()).isZero();
    }

    @Test
    void aWorkerOfAStoppedStartThatIgnoresInterruptsEndsInsteadOfRunningBesideTheNextStart() throws Exception {
        int batch = 5;
        CountDownLatch release = new CountDownLatch(1);
        Map<Thread, AtomicInteger> runsByThread = new ConcurrentHashMap<>();
        AtomicInteger runs = new AtomicInteger();
        RunnerWorkers.Rounds rounds = owner -> {
            runsByThread
                    .computeIfAbsent(Thread.currentThread(), thread -> new AtomicInteger())
                    .incrementAndGet();
            if (runs.incrementAndGet() == 1) {
                // The first run is inside a call that does not answer interrupts (a blocking socket read).
                boolean interrupted = false;
                while (true) {
                    try {
                        release.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return moved(batch); // a full batch: a current worker would run again at once
            }
            return List.of();
        };
        RunnerWorkers workers =
                new RunnerWorkers(rounds, OWNER, new StanchProperties.Runner(true, NEVER, null, batch, 1));
        started.add(workers);
        workers.start();
        await("the first run is under way", () -> runs.get() == 1);
        Thread old = workers.workerThreads().getFirst();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(workers::stop);
        await("stopped", () -> !workers.isRunning());
        workers.start();
        Thread current = workers.workerThreads().getFirst();
        assertThat(current).isNotSameAs(old);
        await("the new worker's look on start", () -> runsByThread.containsKey(current));

        release.countDown();
        stopping.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        await("the old worker ends", () -> !old.isAlive());
        assertThat(runsByThread.get(old))
                .as("the old worker did not go on after its full batch")
                .hasValue(1);
        assertThat(workers.isRunning()).isTrue();
        // The old worker's full batch handed a turn on (more is likely due): the new worker takes it.
        awaitIdle(workers, 1);
        int before = runsByThread.get(current).get();
        workers.wakeUp();
        await(
                "the new worker still answers wake-ups",
                () -> runsByThread.get(current).get() > before);
        assertThat(runsByThread.get(old)).hasValue(1);
    }

    private RunnerWorkers start(ScriptedRounds rounds, int workers, int batch, Duration interval) {
        RunnerWorkers runner =
                new RunnerWorkers(rounds, OWNER, new StanchProperties.Runner(true, interval, null, batch, workers));
        started.add(runner);
        runner.start();
        return runner;
    }

    /** Every worker waits for a turn and none is left to take: nothing more runs without a wake-up. */
    private static void awaitIdle(RunnerWorkers workers, int count) {
        await("every worker idle", () -> workers.waitingWorkers() == count && workers.pendingWakeUps() == 0);
    }

    private static void await(String what, java.util.function.BooleanSupplier done) {
        Await.until(PATIENCE, what, done);
    }

    private static List<Work> moved(int count) {
        List<Work> done = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            done.add(new Work.Moved(
                    UUID.randomUUID(), ActionStatus.APPROVED, ActionStatus.APPLIED, List.of(), "applied and verified"));
        }
        return done;
    }

    private static List<Work> held(int count) {
        List<Work> done = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            done.add(new Work.Deferred(UUID.randomUUID(), ActionStatus.APPROVED, 0, null, "paused by alice"));
        }
        return done;
    }

    private static Action action(ActionStatus status, Action.@Nullable Lease lease) {
        Instant now = Instant.now();
        return new Action(
                UUID.randomUUID(),
                "detection-1",
                "outbound-c2",
                "cut",
                1,
                ActionKind.BLOCK_CONNECTION,
                new Target("shop", "web-1", null),
                Map.of(),
                Approval.AUTO,
                null,
                null,
                OnApprovalTimeout.REJECT,
                null,
                null,
                false,
                status,
                true,
                null,
                null,
                "stanch:playbooks",
                null,
                null,
                null,
                now,
                now,
                lease,
                0,
                null);
    }

    /**
     * A stand-in for {@code Runner.runDue}: answers the n-th run (from 1) with the script's list, and
     * from a chosen run on holds each run at a gate until the test opens it.
     */
    private static final class ScriptedRounds implements RunnerWorkers.Rounds {
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final Set<Thread> inside = ConcurrentHashMap.newKeySet();
        final Set<Thread> threadsThatRan = ConcurrentHashMap.newKeySet();
        final Set<String> owners = ConcurrentHashMap.newKeySet();
        private final IntFunction<List<Work>> script;
        private final CountDownLatch gate = new CountDownLatch(1);
        private volatile int holdAfter = Integer.MAX_VALUE;

        ScriptedRounds(IntFunction<List<Work>> script) {
            this.script = script;
        }

        void holdRuns() {
            holdRunsAfter(0);
        }

        void holdRunsAfter(int runs) {
            holdAfter = runs;
        }

        void releaseRuns() {
            gate.countDown();
        }

        @Override
        public List<Work> runDue(String owner) {
            int run = runs.incrementAndGet();
            owners.add(owner);
            threadsThatRan.add(Thread.currentThread());
            inside.add(Thread.currentThread());
            try {
                if (run > holdAfter) {
                    gate.await();
                }
                List<Work> done = script.apply(run);
                finished.incrementAndGet();
                return done;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in a run", e);
            } finally {
                inside.remove(Thread.currentThread());
            }
        }
    }
}
