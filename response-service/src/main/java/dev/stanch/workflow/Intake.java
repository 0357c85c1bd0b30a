package dev.stanch.workflow;

import dev.stanch.action.ActionType;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Detection;
import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Gate;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.NewAction;
import dev.stanch.ledger.Transition;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.PlaybookEngine;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The front of the workflow: takes one detection to its action's first status. Everything it writes
 * for a detection — the detection, the playbooks' matches, the action with its plan or refusal, and
 * the guardrails' decision — commits in one ledger transaction or not at all, so that an intake that
 * fails (the cluster cannot be read, the database goes away) leaves nothing behind and the
 * redelivered event is processed afresh. The Kafka offset is to be committed after {@link #accept}
 * returns.
 *
 * <p>The cluster is read while that transaction is open: it holds no locks then but on the rows it
 * inserted, and the one on the new detection's key makes a concurrent redelivery of the same
 * detection wait, then stop as a duplicate.
 *
 * <p><b>Duplicates without the database.</b> The ids of the last {@value #REMEMBERED_IDS}
 * detections taken in are kept in memory, least recently seen forgotten first, and {@link #accept}
 * answers {@link Result.Duplicate} for one of them at once, without a transaction — a storm of one
 * event (a detector repeating itself, a replayed topic) then costs a lookup per copy instead of a
 * database round trip. An id is remembered only once the transaction that stored it, or found it
 * stored, has committed: the detection is then in the ledger, and the ledger never deletes one (no
 * statement of Stanch deletes from {@code detections}; the table has no retention), so a remembered
 * id is a duplicate for sure. An intake that failed rolled back and remembers nothing: its
 * redelivery goes to the database. An id forgotten, or never seen by this instance (another
 * instance took it in), is found a duplicate by the database as before: the memory saves work, the
 * ledger's key decides. Were detections ever deleted (a retention job), a deleted id could still be
 * remembered here for up to {@value #REMEMBERED_IDS} intakes and its repeat taken for a duplicate:
 * such a job would have to reach the instances too. {@link #accept} runs its own transaction and is
 * not to be called inside one (the Kafka listener and the REST API do not), else an id would be
 * remembered before it is committed.
 */
public final class Intake {

    /** Who requests the actions the playbooks ask for: the first audit row's actor. */
    static final String REQUESTER = "stanch:playbooks";

    /** Who moves a planned action to its first status. */
    static final String GUARDRAILS = "stanch:guardrails";

    /** How many detection ids are remembered as taken in: some 16 MB, 35 MB at most ({@link RecentIds}). */
    static final int REMEMBERED_IDS = 100_000;

    private final Ledger ledger;
    private final Supplier<PlaybookEngine> playbooks;
    private final Gate gate;
    private final Safety safety;
    private final ClusterReader reader;
    private final ClusterGuard guard;
    private final Clock clock;
    private final Observer observer;
    private final RecentIds takenIn = new RecentIds(REMEMBERED_IDS);

    /**
     * @param playbooks the engine in force for each detection (e.g. a reloadable {@link
     *     dev.stanch.playbook.PlaybookCatalog#engine()}), asked once per detection
     */
    public Intake(
            Ledger ledger,
            Supplier<PlaybookEngine> playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            Clock clock) {
        this(ledger, playbooks, guardrails, reader, ClusterGuard.NONE, clock, Observer.NONE);
    }

    /**
     * @param guard every read of the cluster is made through it (the service's circuit breaker)
     * @param observer told how each {@link #accept} ended and how long it took (the metrics)
     */
    public Intake(
            Ledger ledger,
            Supplier<PlaybookEngine> playbooks,
            Guardrails guardrails,
            ClusterReader reader,
            ClusterGuard guard,
            Clock clock,
            Observer observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.playbooks = Objects.requireNonNull(playbooks, "playbooks");
        this.gate = new Gate(guardrails);
        this.safety = guardrails.safety();
        this.reader = Objects.requireNonNull(reader, "reader");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Told of each {@link #accept} when it returns or throws, with how long it took (a monotonic
     * clock): the seam for the service's metrics, which the workflow knows nothing of.
     */
    public interface Observer {

        Observer NONE = new Observer() {};

        /** It returned {@code result}, committed. */
        default void accepted(Result result, Duration took) {}

        /** It threw: nothing was stored. */
        default void failed(RuntimeException error, Duration took) {}
    }

    /** What became of one detection. */
    public sealed interface Result {

        String detectionId();

        /** Seen before (a redelivery, or another detector reporting it): nothing changed. */
        record Duplicate(String detectionId) implements Result {}

        /** Stored, and no playbook acted: the decision says why. */
        record NoAction(String detectionId, Decision.NoAction decision) implements Result {}

        /**
         * Stored, and one action recorded.
         *
         * @param action the action in its first status after planned
         * @param admit the guardrails' decision, with its reason
         */
        record Acted(String detectionId, Action action, Admit admit) implements Result {}
    }

    /**
     * Stores the detection and, unless it was a duplicate, decides, plans and admits its action. A
     * detection whose id this instance remembers as taken in is a duplicate at once, without the
     * database. The observer is told of every call, those included.
     *
     * @throws dev.stanch.kubernetes.KubernetesFailure when the cluster cannot be read for the plan:
     *     nothing is stored, so that the redelivery plans again
     */
    public Result accept(Detection detection) {
        long start = System.nanoTime();
        Result result;
        try {
            result = takenIn.contains(detection.id()) ? new Result.Duplicate(detection.id()) : decide(detection);
        } catch (RuntimeException e) {
            observer.failed(e, Duration.ofNanos(System.nanoTime() - start));
            throw e;
        }
        observer.accepted(result, Duration.ofNanos(System.nanoTime() - start));
        return result;
    }

    private Result decide(Detection detection) {
        Result result = inLedger(detection);
        // Committed: the detection is in the ledger, stored now or before, for good.
        takenIn.add(detection.id());
        return result;
    }

    private Result inLedger(Detection detection) {
        return ledger.inTransaction(() -> {
            if (!ledger.storeDetection(detection)) {
                return new Result.Duplicate(detection.id());
            }
            Decision decision = playbooks.get().decide(detection, ledger.history());
            ledger.recordMatches(detection, decision.matchedPlaybooks());
            return switch (decision) {
                case Decision.NoAction none -> new Result.NoAction(detection.id(), none);
                case Decision.Act act -> act(detection, act.request());
            };
        });
    }

    private Result act(Detection detection, ActionRequest request) {
        UUID id = Ledger.newActionId();
        Planning planning = ActionType.of(request.kind())
                .plan(
                        new PlanInput(id.toString(), request, safety),
                        guard.call(() -> reader.read(request.target().namespace())));
        // Counted in this transaction, before this action exists: see Ledger.activity() on overshoot.
        Admit admit = gate.admit(request, planning, ledger.activity(), clock.instant());
        ledger.createAction(new NewAction(id, detection.id(), request, planning, REQUESTER));
        Action admitted =
                ledger.transition(Transition.admitted(id, GUARDRAILS, admit)).action();
        return new Result.Acted(detection.id(), admitted, admit);
    }
}
