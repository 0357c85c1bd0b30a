package dev.stanch.ledger;

import java.util.UUID;

/** No action has this id. The REST API answers it with 404. */
public final class ActionNotFound extends RuntimeException {

    private final UUID actionId;

    ActionNotFound(UUID actionId) {
        super("no action " + actionId);
        this.actionId = actionId;
    }

    public UUID actionId() {
        return actionId;
    }
}
