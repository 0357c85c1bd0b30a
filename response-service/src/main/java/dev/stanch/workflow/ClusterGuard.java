package dev.stanch.workflow;

import java.util.function.Supplier;

/**
 * What every call of the workflow to the Kubernetes API goes through: the reads a plan is computed
 * from ({@link Intake}, {@link Simulator}) and the executor's apply, verify, rollback and leftovers
 * ({@link Runner}). The service passes a circuit breaker (built in {@code dev.stanch.app}), so that
 * the core knows nothing of it; {@link #NONE} calls straight through.
 *
 * <p>A guard that refuses a call must throw a {@link dev.stanch.kubernetes.KubernetesFailure} that
 * is {@link dev.stanch.kubernetes.KubernetesFailure.Reason#TRANSIENT transient}, so that the
 * callers retry it as they retry an API server that does not answer: nothing is lost.
 */
public interface ClusterGuard {

    /** Calls straight through. */
    ClusterGuard NONE = new ClusterGuard() {
        @Override
        public <T> T call(Supplier<T> call) {
            return call.get();
        }
    };

    /** Runs one call to the cluster, or refuses it with a transient failure. */
    <T> T call(Supplier<T> call);
}
