package dev.stanch.app;

import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.TransitionListener;
import dev.stanch.playbook.ActionKind;
import dev.stanch.workflow.Intake;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Stanch's own figures, in Micrometer (see docs/operations.md, "Metrics"):
 *
 * <ul>
 *   <li>{@code stanch.actions.transitions{kind,to}} — every creation and transition of an action
 *       this instance committed, told by the ledger after the commit ({@link TransitionListener}):
 *       each counted once, by the instance that made it, whoever asked for it (the intake, the
 *       runner, a person over the API);
 *   <li>{@code stanch.actions{status}} and {@code stanch.approvals.pending} — gauges from one grouped
 *       count of the ledger, kept {@link #COUNTS_TTL}: the same figure on every instance;
 *   <li>{@code stanch.detection.to.action{kind}} — from the detection's time (the detector's clock)
 *       to its action committed applied; a detector's clock ahead of ours counts as 0;
 *   <li>{@code stanch.intake{outcome}} — how long {@link Intake#accept} took, by what became of the
 *       detection.
 * </ul>
 *
 * Tags take values from closed sets only — the enums' wire names and the intake's outcomes — never
 * a pod, namespace, playbook or detection: a series per target would grow without bound. Every
 * series exists from the start, at 0, so that {@code increase()} sees the first event.
 */
final class StanchMetrics implements TransitionListener, Intake.Observer {

    /** How long one count of the ledger serves the gauges. */
    static final Duration COUNTS_TTL = Duration.ofSeconds(5);

    /** From 100 ms (an automatic action) to 5 min (a person answering quickly); above, +Inf. */
    private static final Duration[] LATENCY_SLOS = {
        Duration.ofMillis(100),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        Duration.ofMinutes(5)
    };

    private final Clock clock;
    private final Map<ActionKind, Map<ActionStatus, Counter>> transitions = new EnumMap<>(ActionKind.class);
    private final Map<ActionKind, Timer> detectionToAction = new EnumMap<>(ActionKind.class);
    private final Timer acted;
    private final Timer duplicate;
    private final Timer noAction;
    private final Timer failed;

    StanchMetrics(MeterRegistry registry, Ledger ledger, Clock clock) {
        this.clock = clock;
        for (ActionKind kind : ActionKind.values()) {
            Map<ActionStatus, Counter> byStatus = new EnumMap<>(ActionStatus.class);
            for (ActionStatus to : ActionStatus.values()) {
                byStatus.put(
                        to,
                        Counter.builder("stanch.actions.transitions")
                                .description("Actions created (to=planned) and moved, by kind and the status entered,"
                                        + " counted by the instance that committed the move")
                                .tag("kind", kind.wireName())
                                .tag("to", to.wireName())
                                .register(registry));
            }
            transitions.put(kind, byStatus);
            detectionToAction.put(
                    kind,
                    Timer.builder("stanch.detection.to.action")
                            .description("From the detection's time to its action applied, approval waits included")
                            .tag("kind", kind.wireName())
                            .publishPercentileHistogram()
                            .serviceLevelObjectives(LATENCY_SLOS)
                            .minimumExpectedValue(Duration.ofMillis(10))
                            .maximumExpectedValue(Duration.ofHours(1))
                            .register(registry));
        }
        Cached<Map<ActionStatus, Long>> counts = new Cached<>(ledger::countByStatus, COUNTS_TTL);
        for (ActionStatus status : ActionStatus.values()) {
            Gauge.builder("stanch.actions", counts, count(status))
                    .description("Actions in the ledger by status (all instances; refreshed at most every "
                            + COUNTS_TTL.toSeconds() + " s)")
                    .tag("status", status.wireName())
                    // Micrometer holds a gauge's object weakly: nothing else holds the cache.
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder("stanch.approvals.pending", counts, count(ActionStatus.PENDING_APPROVAL))
                .description("Actions waiting for a person's approval (stanch.actions{status=pending-approval})")
                .strongReference(true)
                .register(registry);
        acted = intake(registry, "acted");
        duplicate = intake(registry, "duplicate");
        noAction = intake(registry, "no-action");
        failed = intake(registry, "failed");
        ledger.addTransitionListener(this);
    }

    /** NaN while the ledger cannot be counted: a gap in the graph, not a stale or made-up figure. */
    private static ToDoubleFunction<Cached<Map<ActionStatus, Long>>> count(ActionStatus status) {
        return counts -> {
            try {
                return counts.get().getOrDefault(status, 0L);
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        };
    }

    private static Timer intake(MeterRegistry registry, String outcome) {
        return Timer.builder("stanch.intake")
                .description("Taking in one detection (HTTP or Kafka), by what became of it")
                .tag("outcome", outcome)
                .register(registry);
    }

    @Override
    public void committed(Action action, @Nullable ActionStatus from, @Nullable Instant detectedAt) {
        transitions.get(action.kind()).get(action.status()).increment();
        if (action.status() == ActionStatus.APPLIED && detectedAt != null) {
            Duration latency = Duration.between(detectedAt, clock.instant());
            detectionToAction.get(action.kind()).record(latency.isNegative() ? Duration.ZERO : latency);
        }
    }

    @Override
    public void accepted(Intake.Result result, Duration took) {
        Timer timer = switch (result) {
            case Intake.Result.Acted ignored -> acted;
            case Intake.Result.Duplicate ignored -> duplicate;
            case Intake.Result.NoAction ignored -> noAction;
        };
        timer.record(took);
    }

    @Override
    public void failed(RuntimeException error, Duration took) {
        failed.record(took);
    }
}
