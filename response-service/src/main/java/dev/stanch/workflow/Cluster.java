package dev.stanch.workflow;

import dev.stanch.action.ActionPlan;
import dev.stanch.kubernetes.ActionExecutor;
import java.util.List;

/**
 * What the {@link Runner} asks of the cluster: the executor's four calls, each one batch of API calls
 * that the runner fences on its lease. An interface so that tests can stand in for the cluster
 * where they need to act between two calls (a lease running out in the middle of an apply); the
 * service always passes the {@link ActionExecutor}.
 */
interface Cluster {

    ActionExecutor.Outcome apply(ActionPlan plan);

    List<String> verify(ActionPlan plan);

    ActionExecutor.Outcome rollback(ActionPlan plan);

    List<String> leftovers(String actionId);

    static Cluster of(ActionExecutor executor) {
        return of(executor, ClusterGuard.NONE);
    }

    /** The executor, each of its calls made through {@code guard}. */
    static Cluster of(ActionExecutor executor, ClusterGuard guard) {
        return new Cluster() {
            @Override
            public ActionExecutor.Outcome apply(ActionPlan plan) {
                return guard.call(() -> executor.apply(plan));
            }

            @Override
            public List<String> verify(ActionPlan plan) {
                return guard.call(() -> executor.verify(plan));
            }

            @Override
            public ActionExecutor.Outcome rollback(ActionPlan plan) {
                return guard.call(() -> executor.rollback(plan));
            }

            @Override
            public List<String> leftovers(String actionId) {
                return guard.call(() -> executor.leftovers(actionId));
            }
        };
    }
}
