package dev.stanch.workflow;

import dev.stanch.ledger.ActionStatus;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** What {@link Runner#runDue} did with one action it claimed. */
public sealed interface Work {

    UUID actionId();

    /**
     * Moved on: applied, rolled back, failed, expired or approved by silence.
     *
     * @param from the status it was claimed in
     * @param to the status it was left in
     * @param changed what the executor changed in the cluster on this run (its {@code Outcome}), empty
     *     when it made no API call or every step found the cluster as wanted already
     * @param reason the last transition's reason
     */
    record Moved(UUID actionId, ActionStatus from, ActionStatus to, List<String> changed, String reason)
            implements Work {
        public Moved {
            changed = List.copyOf(changed);
        }
    }

    /**
     * A transient Kubernetes failure: left in {@code status}, its lease given back, due again for
     * any runner once the backoff has passed.
     *
     * @param transientFailures the failures of this phase so far, this one included
     */
    record Deferred(UUID actionId, ActionStatus status, int transientFailures, Duration retryIn, String reason)
            implements Work {}

    /**
     * Someone else moved the action first (a person's decision, or a runner that took over after
     * this one's lease ran out), or this runner's lease ran out: the ledger refused its transition or
     * the renewal of its lease, and the runner stopped there, before its next API call.
     */
    record Lost(UUID actionId, ActionStatus status, String reason) implements Work {}

    /**
     * An unexpected error: the action is left as it was, and its lease runs out as after a crash,
     * so that it is taken up again. The caller logs it.
     */
    record Crashed(UUID actionId, ActionStatus status, RuntimeException error) implements Work {}
}
