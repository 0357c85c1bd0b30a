package dev.stanch.app;

import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.TransitionListener;
import dev.stanch.workflow.Runner;
import dev.stanch.workflow.Work;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The runner's own threads: {@code stanch.runner.workers} of them, each taking its turn at {@link
 * Runner#runDue} — claiming its own batch (the ledger's {@code FOR UPDATE SKIP LOCKED}: two workers,
 * like two instances, never get one action) and working through it.
 *
 * <p><b>When a worker runs.</b> Time to contain is the point: an action that this instance makes due
 * at once is taken up at once, not at the next interval. As a {@link TransitionListener} on the
 * ledger, the workers are told of every move this instance commits, and one that leaves an action
 * due now — into approved (the guardrails' auto-approval at intake, a person's approval, an approval
 * by silence) or into rolling-back by a person, both without a lease — is a <em>wake-up</em>. Other
 * instances' moves, and what becomes due with time (expiry, approval deadlines, the end of a backoff
 * or of a dead runner's lease), are nobody's wake-up here: for them one worker looks whenever
 * {@code stanch.runner.interval} went by without one taking a turn. One also looks on start, for
 * what a stopped instance left behind or was approved while none ran.
 *
 * <p><b>Coalescing.</b> A wake-up is a turn for one worker; turns not yet taken are capped at the
 * number of workers. A burst of 200 approvals therefore queues at most one run per worker, never
 * 200: each run claims everything due then, up to a batch, so the approvals that came after a claim
 * are the next run's.
 *
 * <p><b>A burst.</b> A worker whose run claimed a full batch goes on at once with another run — more
 * is likely due — and hands a turn to one more worker, who does the same: a backlog draws in every
 * worker within a few runs and they go on until a run claims less than a full batch. There is no
 * cap on runs in a row: the threads are the runner's own, nothing else waits for them. A batch held
 * back whole by the pause switch ({@link Work.Deferred} without a backoff) is not worth another run:
 * while paused, a run claims the approved actions only to hand them back, and running again would
 * be a busy loop.
 *
 * <p><b>Stopping.</b> {@link #stop} (context close, also the bean's destroy method) lets each worker
 * finish the run in hand — each action of it ends in a committed transition or with its lease — for
 * up to {@link #STOP_PATIENCE}, then interrupts those still at it: an action cut short is left to its
 * lease, as after a crash. Waits are on a {@link Condition}, which {@code stop} signals. Each
 * {@link #start} is a new generation, and a worker goes on only while its own is the current one:
 * a worker of a stopped generation still inside a call that ignores interrupts ends when the call
 * returns, instead of running alongside the workers of a later start.
 *
 * <p>{@link #start} does nothing where {@code stanch.runner.enabled} is false, also when called
 * explicitly (a {@code context.start()}): such an instance never runs actions.
 */
final class RunnerWorkers implements SmartLifecycle, TransitionListener {

    private static final Logger log = LoggerFactory.getLogger(RunnerWorkers.class);

    /**
     * How long {@link #stop} waits for the runs in hand before it interrupts them: within the
     * chart's 30 s termination grace period, with time left for the rest of the service to stop.
     */
    static final Duration STOP_PATIENCE = Duration.ofSeconds(20);

    /** One run over the due actions, for an owner: {@link Runner#runDue}, or a stand-in in tests. */
    @FunctionalInterface
    interface Rounds {
        List<Work> runDue(String owner);
    }

    private final Rounds rounds;
    private final String owner;
    private final StanchProperties.Runner settings;
    private final long intervalNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition turn = lock.newCondition();

    // Guarded by lock; running is also read without it between runs.
    private volatile boolean running;
    /** Which start the workers now running belong to; a worker of an older one stops. */
    private volatile long generation;

    private int wakeUps;
    private long lastTurn;
    private int waiting;
    private List<Thread> threads = List.of();

    /**
     * @param rounds runs over the due actions
     * @param owner this instance's name among those sharing the ledger
     * @param settings {@code stanch.runner.*}: how many workers, the batch a run claims (a full one
     *     means more may be due), the interval between looks without a wake-up
     */
    RunnerWorkers(Rounds rounds, String owner, StanchProperties.Runner settings) {
        this.rounds = rounds;
        this.owner = owner;
        this.settings = settings;
        this.intervalNanos = nanos(settings.interval());
    }

    /** A wake-up for each move that leaves an action due now; quick, and never calls the ledger. */
    @Override
    public void committed(Action action, @Nullable ActionStatus from, @Nullable Instant detectedAt) {
        if (dueAtOnce(action)) {
            wakeUp();
        }
    }

    /**
     * Approved, or rolling-back, with nobody's lease: due for a claim right now. A move ends the
     * lease unless a runner keeps it for its own work — entering rolling-back on an expiry, which it
     * carries out itself — so the lease tells a person's rollback from the runner's.
     */
    static boolean dueAtOnce(Action action) {
        return (action.status() == ActionStatus.APPROVED || action.status() == ActionStatus.ROLLING_BACK)
                && action.lease() == null;
    }

    /** A turn for one worker, unless every worker has one already. */
    void wakeUp() {
        lock.lock();
        try {
            if (wakeUps < settings.workers()) {
                wakeUps++;
                turn.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Turns not yet taken: for tests. */
    int pendingWakeUps() {
        lock.lock();
        try {
            return wakeUps;
        } finally {
            lock.unlock();
        }
    }

    /** Workers waiting for a turn, as opposed to at work: for tests. */
    int waitingWorkers() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** The worker threads while running: for tests. */
    List<Thread> workerThreads() {
        lock.lock();
        try {
            return threads;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isAutoStartup() {
        return settings.enabled();
    }

    @Override
    public void start() {
        if (!settings.enabled()) {
            return;
        }
        List<Thread> started = new ArrayList<>();
        lock.lock();
        try {
            if (running) {
                return;
            }
            running = true;
            long mine = ++generation;
            // A look at once: what a stopped instance left, or what was approved while none ran.
            wakeUps = 1;
            lastTurn = System.nanoTime();
            var builder = Thread.ofPlatform().name("stanch-runner-", 1).daemon(true);
            for (int i = 0; i < settings.workers(); i++) {
                started.add(builder.unstarted(() -> work(mine)));
            }
            threads = List.copyOf(started);
        } finally {
            lock.unlock();
        }
        started.forEach(Thread::start);
        log.info(
                "runner {}: {} worker(s), up to {} actions a run each; woken by this instance's approvals and"
                        + " rollbacks, and looking at least every {}",
                owner,
                settings.workers(),
                settings.batch(),
                settings.interval());
    }

    @Override
    public void stop() {
        List<Thread> stopping;
        lock.lock();
        try {
            if (!running) {
                return;
            }
            running = false;
            turn.signalAll();
            stopping = threads;
            threads = List.of();
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + STOP_PATIENCE.toNanos();
        try {
            for (Thread thread : stopping) {
                thread.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Thread thread : stopping) {
            if (thread.isAlive()) {
                log.warn(
                        "runner: {} still in its run after {}: interrupted; an action cut short is left to its"
                                + " lease, and taken up again when it runs out",
                        thread.getName(),
                        STOP_PATIENCE);
                thread.interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void work(long mine) {
        while (takeTurn(mine)) {
            runWhileFull(mine);
        }
    }

    /** Whether a worker of this generation goes on: running, and not since stopped and started again. */
    private boolean current(long mine) {
        return running && generation == mine;
    }

    /** Waits for a wake-up or for the interval's look; false once stopped. */
    private boolean takeTurn(long mine) {
        lock.lock();
        waiting++;
        try {
            while (current(mine)) {
                long now = System.nanoTime();
                if (wakeUps > 0) {
                    wakeUps--;
                    lastTurn = now;
                    return true;
                }
                long left = intervalNanos - (now - lastTurn);
                if (left <= 0) {
                    lastTurn = now;
                    return true;
                }
                turn.awaitNanos(left);
            }
            return false;
        } catch (InterruptedException e) {
            // Only stop() interrupts, once the runs in hand had their time.
            return false;
        } finally {
            waiting--;
            lock.unlock();
        }
    }

    private void runWhileFull(long mine) {
        while (current(mine)) {
            List<Work> done;
            try {
                done = rounds.runDue(owner);
            } catch (RuntimeException e) {
                // The database is away, most likely: nothing was claimed, the next turn tries again.
                log.warn("cannot claim due actions: {}", e.toString());
                return;
            }
            done.forEach(RunnerWorkers::report);
            if (done.size() < settings.batch() || done.stream().allMatch(RunnerWorkers::heldByPause)) {
                return;
            }
            // A full batch: more is likely due. This worker goes on, and one more joins in.
            wakeUp();
        }
    }

    private static void report(Work work) {
        switch (work) {
            case Work.Moved moved ->
                log.info(
                        "action {}: {} → {} ({}){}",
                        moved.actionId(),
                        moved.from(),
                        moved.to(),
                        moved.reason(),
                        moved.changed().isEmpty() ? "" : "; changed " + moved.changed());
            case Work.Deferred deferred
            when heldByPause(deferred) ->
                log.debug("action {}: {} held: {}", deferred.actionId(), deferred.status(), deferred.reason());
            case Work.Deferred deferred ->
                log.warn(
                        "action {}: {} deferred {} after {} transient failure(s): {}",
                        deferred.actionId(),
                        deferred.status(),
                        deferred.retryIn(),
                        deferred.transientFailures(),
                        deferred.reason());
            case Work.Lost lost ->
                log.info(
                        "action {}: moved on by someone else while in {}: {}",
                        lost.actionId(),
                        lost.status(),
                        lost.reason());
            case Work.Crashed crashed ->
                log.error(
                        "action {}: unexpected error in {}; its lease will run out and it is taken up again",
                        crashed.actionId(),
                        crashed.status(),
                        crashed.error());
        }
    }

    /** Deferred by the pause switch (no backoff): expected on every run while paused, not a failure. */
    static boolean heldByPause(Work work) {
        return work instanceof Work.Deferred deferred && deferred.retryIn() == null;
    }

    /** The interval in nanoseconds, a century at most: {@link System#nanoTime} differences must not overflow. */
    private static long nanos(Duration interval) {
        Duration century = Duration.ofDays(36_525);
        return (interval.compareTo(century) > 0 ? century : interval).toNanos();
    }
}
