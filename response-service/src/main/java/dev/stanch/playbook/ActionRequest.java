package dev.stanch.playbook;

import dev.stanch.detection.Target;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a playbook stage asks for, for one detection: the input to planning. Nothing has been looked
 * up in the cluster yet.
 *
 * @param playbook the playbook's name
 * @param stage the stage's name
 * @param occurrence the occurrence that selected the stage (1 = the first in the window)
 * @param kind the action
 * @param target the pod to act on
 * @param params the stage's parameters over the action's defaults, plus what the action takes from
 *     the detection
 * @param approval auto, or wait for a person
 * @param approvalTimeout how long a required approval waits
 * @param onApprovalTimeout what happens when nobody decided in time
 * @param expireAfter when the action is rolled back by itself; null keeps it
 * @param dryRun the playbook is in dry-run: plan and record, change nothing
 */
public record ActionRequest(
        String playbook,
        String stage,
        long occurrence,
        ActionKind kind,
        Target target,
        Map<String, Object> params,
        Approval approval,
        @Nullable Duration approvalTimeout,
        OnApprovalTimeout onApprovalTimeout,
        @Nullable Duration expireAfter,
        boolean dryRun) {

    public ActionRequest {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }
}
