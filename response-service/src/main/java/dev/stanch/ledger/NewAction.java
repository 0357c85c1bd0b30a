package dev.stanch.ledger;

import dev.stanch.action.Planning;
import dev.stanch.playbook.ActionRequest;
import java.util.Objects;
import java.util.UUID;

/**
 * An action to record: what the playbook stage asked for, and what the planner answered.
 *
 * @param id the action's id, the one the plan was made with ({@link Ledger#newActionId()})
 * @param detectionId the detection that caused it (stored already)
 * @param request the stage's request
 * @param planning the planner's plan or refusal
 * @param requestedBy who asks: the actor of the action's first audit row
 */
public record NewAction(UUID id, String detectionId, ActionRequest request, Planning planning, String requestedBy) {

    public NewAction {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(detectionId, "detectionId");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(planning, "planning");
        Text.requireText("requestedBy", requestedBy);
        if (planning instanceof Planning.Planned(var plan)) {
            if (!plan.actionId().equals(id.toString())) {
                throw new IllegalArgumentException(
                        "the plan was made for action " + plan.actionId() + ", not for " + id);
            }
            if (plan.kind() != request.kind()
                    || !plan.target().key().equals(request.target().key())) {
                throw new IllegalArgumentException(
                        "the plan is for " + plan.kind().wireName() + " on "
                                + plan.target().key() + ", the request for "
                                + request.kind().wireName() + " on "
                                + request.target().key());
            }
        }
    }
}
