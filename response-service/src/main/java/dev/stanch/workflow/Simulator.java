package dev.stanch.workflow;

import dev.stanch.action.ActionType;
import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.guardrail.Activity;
import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Gate;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.guardrail.Pause;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.ledger.Ledger;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.History;
import dev.stanch.playbook.PlaybookEngine;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the intake would do with some events, without doing it: each event is normalized, decided
 * by the playbooks in force, planned against the live cluster and admitted by the guardrails, as
 * {@link Intake#accept} would — and nothing is written, to the ledger or to the cluster. The ledger
 * and the cluster are only read.
 *
 * <p>The events of one simulation are taken in order, as if they arrived one after the other: each
 * counts as an occurrence for the next ones (on top of the ledger's history, like the CLI's {@code
 * simulate} counts the events it is given), an event whose id the ledger or an earlier event has is
 * a duplicate, and the actions admitted earlier count against the guardrails' limits. Plans carry a
 * fresh id of their own, which names nothing in the cluster.
 */
public final class Simulator {

    private final Ledger ledger;
    private final Supplier<PlaybookEngine> playbooks;
    private final Gate gate;
    private final Safety safety;
    private final ClusterReader reader;
    private final ClusterGuard guard;
    private final DetectionNormalizer normalizer;
    private final Clock clock;

    public Simulator(
            Ledger ledger,
            Supplier<PlaybookEngine> playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            DetectionNormalizer normalizer,
            Clock clock) {
        this(ledger, playbooks, guardrails, reader, ClusterGuard.NONE, normalizer, clock);
    }

    /** With every read of the cluster made through {@code guard} (the service's circuit breaker). */
    public Simulator(
            Ledger ledger,
            Supplier<PlaybookEngine> playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            ClusterGuard guard,
            DetectionNormalizer normalizer,
            Clock clock) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.playbooks = Objects.requireNonNull(playbooks, "playbooks");
        this.gate = new Gate(guardrails);
        this.safety = guardrails.safety();
        this.reader = Objects.requireNonNull(reader, "reader");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.normalizer = Objects.requireNonNull(normalizer, "normalizer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * What became of one simulated event.
     *
     * @param index its place in the simulation, from 0
     * @param normalization the detection, or why the event was ignored or rejected
     * @param duplicate the ledger (or an earlier event of this simulation) has the detection: the
     *     intake would stop there, so nothing else is filled in
     * @param decision what the playbooks decided; null when there was no new detection
     * @param actionId the id the plan was made with, when a playbook acted
     * @param planning the plan or the planner's refusal, when a playbook acted
     * @param admit the guardrails' decision, when a playbook acted
     */
    public record Simulated(
            int index,
            Normalization normalization,
            boolean duplicate,
            @Nullable Decision decision,
            @Nullable UUID actionId,
            @Nullable Planning planning,
            @Nullable Admit admit) {}

    /**
     * Simulates the events, in order.
     *
     * @throws dev.stanch.kubernetes.KubernetesFailure when the cluster cannot be read for a plan
     */
    public List<Simulated> simulate(List<byte[]> events) {
        PlaybookEngine engine = playbooks.get();
        Instant now = clock.instant();
        History.InMemory earlier = new History.InMemory();
        History ledgerHistory = ledger.history();
        History history = (playbook, target, from, to, excludingId) ->
                ledgerHistory.earlierOccurrences(playbook, target, from, to, excludingId)
                        + earlier.earlierOccurrences(playbook, target, from, to, excludingId);
        SimulatedActivity activity = new SimulatedActivity(ledger.activity());
        Set<String> seen = new HashSet<>();
        Map<String, ClusterSnapshot> snapshots = new HashMap<>();
        List<Simulated> results = new ArrayList<>();
        for (byte[] event : events) {
            int index = results.size();
            Normalization normalization = normalizer.normalize(event);
            if (!(normalization instanceof Normalization.Normalized(Detection detection))) {
                results.add(new Simulated(index, normalization, false, null, null, null, null));
                continue;
            }
            if (!seen.add(detection.id()) || ledger.detection(detection.id()).isPresent()) {
                results.add(new Simulated(index, normalization, true, null, null, null, null));
                continue;
            }
            Decision decision = engine.decide(detection, history);
            earlier.record(detection, decision.matchedPlaybooks());
            if (!(decision instanceof Decision.Act act)) {
                results.add(new Simulated(index, normalization, false, decision, null, null, null));
                continue;
            }
            ActionRequest request = act.request();
            UUID id = Ledger.newActionId();
            // One snapshot per namespace: nothing changes the cluster while a simulation runs.
            ClusterSnapshot cluster = snapshots.computeIfAbsent(
                    request.target().namespace(), namespace -> guard.call(() -> reader.read(namespace)));
            Planning planning =
                    ActionType.of(request.kind()).plan(new PlanInput(id.toString(), request, safety), cluster);
            Admit admit = gate.admit(request, planning, activity, now);
            activity.admitted(request, admit, now);
            results.add(new Simulated(index, normalization, false, decision, id, planning, admit));
        }
        return results;
    }

    /**
     * The ledger's activity, plus the actions this simulation admitted so far: they would count
     * against the limits for the events after them.
     */
    private static final class SimulatedActivity implements Activity {

        private record Started(Instant at, String namespace) {}

        private final Activity ledger;
        private final List<Started> started = new ArrayList<>();

        SimulatedActivity(Activity ledger) {
            this.ledger = ledger;
        }

        /** Counts an admitted action as the ledger would: blocked and dry-run actions never count. */
        void admitted(ActionRequest request, Admit admit, Instant at) {
            if (admit instanceof Admit.Approved || admit instanceof Admit.PendingApproval) {
                started.add(new Started(at, request.target().namespace()));
            }
        }

        @Override
        public long startedSince(Instant since) {
            return ledger.startedSince(since)
                    + started.stream().filter(s -> !s.at().isBefore(since)).count();
        }

        @Override
        public long startedSince(Instant since, String namespace) {
            return ledger.startedSince(since, namespace)
                    + started.stream()
                            .filter(s ->
                                    !s.at().isBefore(since) && s.namespace().equals(namespace))
                            .count();
        }

        @Override
        public long active() {
            return ledger.active() + started.size();
        }

        @Override
        public Optional<Pause> pause() {
            return ledger.pause();
        }
    }
}
