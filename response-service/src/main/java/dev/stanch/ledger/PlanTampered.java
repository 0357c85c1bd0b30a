package dev.stanch.ledger;

import java.util.UUID;

/**
 * An action's stored plan is not the one its creation audit row recorded (by SHA-256): it was
 * edited outside Stanch. Nothing may be applied or undone from it — the plan is what Stanch's
 * ClusterRole would carry out.
 */
public final class PlanTampered extends RuntimeException {

    private final UUID actionId;

    PlanTampered(UUID actionId, String message) {
        super(message);
        this.actionId = actionId;
    }

    public UUID actionId() {
        return actionId;
    }
}
