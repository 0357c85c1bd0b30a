package dev.stanch.action;

import dev.stanch.playbook.ActionKind;
import java.util.List;

/**
 * An action kind's contract, next to its code: the RBAC it needs, its planner and its verifier. The
 * set is closed; the executor (package kubernetes) carries out a plan's {@link Step}s and, for
 * rollback, its {@link ActionPlan#undo()} steps.
 */
public sealed interface ActionType permits BlockConnection, RevokeToken, QuarantinePod {

    ActionKind kind();

    /** The API permissions the kind's steps need, beyond reading the cluster (see {@link ClusterRead}). */
    List<RbacRule> rbac();

    /**
     * Plans the action against a snapshot of the cluster. Pure: no I/O, the same input gives the
     * same plan. Refuses — never throws — when the target is protected or missing, the request
     * cannot be acted on, or the change would not work.
     */
    Planning plan(PlanInput input, ClusterSnapshot cluster);

    /**
     * Checks a snapshot read after the steps ran: the problems found, empty when the action is in
     * effect.
     */
    List<String> verify(ActionPlan plan, ClusterSnapshot cluster);

    static ActionType of(ActionKind kind) {
        return switch (kind) {
            case BLOCK_CONNECTION -> BlockConnection.INSTANCE;
            case REVOKE_TOKEN -> RevokeToken.INSTANCE;
            case QUARANTINE_POD -> QuarantinePod.INSTANCE;
        };
    }

    static List<ActionType> all() {
        return List.of(BlockConnection.INSTANCE, RevokeToken.INSTANCE, QuarantinePod.INSTANCE);
    }
}
