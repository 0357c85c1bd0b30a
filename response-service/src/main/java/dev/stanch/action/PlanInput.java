package dev.stanch.action;

import dev.stanch.playbook.ActionRequest;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a planner is asked: the action's id (it names and labels what the action creates), the
 * playbook stage's request, and the guardrails of the action itself.
 *
 * @param actionId lower-case letters, digits and dashes, at most 40 (a UUID fits): it is used in
 *     object names and label keys
 * @param request what the stage asks for, for which pod
 * @param safety what is never touched
 */
public record PlanInput(String actionId, ActionRequest request, Safety safety) {

    private static final Pattern ACTION_ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");

    public PlanInput {
        Objects.requireNonNull(actionId, "actionId");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(safety, "safety");
        if (!ACTION_ID.matcher(actionId).matches()) {
            throw new IllegalArgumentException(
                    "action id '" + actionId + "' must be 1-40 lower-case letters, digits and dashes");
        }
    }

    String namespace() {
        return request.target().namespace();
    }

    String pod() {
        return request.target().pod();
    }
}
