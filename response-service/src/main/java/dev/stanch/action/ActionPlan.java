package dev.stanch.action;

import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an action will change, computed against one snapshot of the cluster before anything
 * changes: what the on-call engineer approves, what the ledger records before the first API call,
 * and what rollback works from.
 *
 * @param actionId the action's id (in the names and labels of what it creates)
 * @param kind the action kind
 * @param target the pod acted on
 * @param params the parameters as resolved, the effective ones included (e.g. the granularity the
 *     server allows)
 * @param summary one sentence: what the action does
 * @param steps the changes, in order: full manifests of what is created, the labels and subjects
 *     changed
 * @param undo the steps that roll the action back, in order (empty for a part that cannot be undone)
 * @param preImages every object the steps change, as it was: the undo record
 * @param reversibility each part of the action and whether it can be undone
 * @param connectivityLost the flows the target loses, from the policy engine (before vs after)
 * @param connectivityRemaining for quarantine: the flows that remain, because other policies still
 *     allow them
 * @param warnings what the on-call engineer should know (e.g. established connections may survive)
 */
public record ActionPlan(
        String actionId,
        ActionKind kind,
        Target target,
        Map<String, Object> params,
        String summary,
        List<Step> steps,
        List<Step> undo,
        List<HasMetadata> preImages,
        List<Reversibility> reversibility,
        List<String> connectivityLost,
        List<String> connectivityRemaining,
        List<String> warnings) {

    public ActionPlan {
        Objects.requireNonNull(actionId, "actionId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
        Objects.requireNonNull(summary, "summary");
        steps = List.copyOf(steps);
        undo = List.copyOf(undo);
        preImages = List.copyOf(preImages);
        reversibility = List.copyOf(reversibility);
        connectivityLost = List.copyOf(connectivityLost);
        connectivityRemaining = List.copyOf(connectivityRemaining);
        warnings = List.copyOf(warnings);
    }

    /** True when rollback undoes every part. */
    public boolean fullyReversible() {
        return reversibility.stream().allMatch(Reversibility::reversible);
    }
}
