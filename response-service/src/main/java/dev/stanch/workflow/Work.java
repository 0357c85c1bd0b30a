package dev.stanch.workflow;

import dev.stanch.ledger.ActionStatus;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

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
     * Not done now, left in {@code status} with its lease given back: after a transient Kubernetes
     * failure, due again for any runner once the backoff has passed; while Stanch is paused, an
     * approved action (or one left applying) that waits until it is resumed.
     *
     * @param transientFailures the transient failures of this phase so far, this one included; 0 when
     *     deferred for a pause
     * @param retryIn when it is due again; null while paused: when Stanch is resumed
     * @param reason the failure, or the pause's "paused by who at when: why"
     */
    record Deferred(
            UUID actionId,
            ActionStatus status,
            int transientFailures,
            @Nullable Duration retryIn,
            String reason) implements Work {}

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
