package dev.stanch.kafka;

import dev.stanch.kubernetes.KubernetesFailure;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/**
 * The intake of a detection failed for a reason that passes: the cluster could not be read (a
 * transient {@link KubernetesFailure}: no answer, 429, 5xx) or the database is away. Nothing was
 * stored (the intake is one transaction), so the record is delivered again, with a backoff, for as
 * long as it takes — it is the only kind of failure the error handler retries.
 */
final class TransientIntakeFailure extends RuntimeException {

    TransientIntakeFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether a failure of {@code Intake.accept} passes by itself. Anything else — a Kubernetes
     * failure that is not transient (forbidden, invalid …), data the database refuses, a bug — would
     * fail again the same way: the record is dead-lettered with the exception instead of blocking
     * its partition forever.
     */
    static boolean isTransient(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause()) {
            if (e instanceof KubernetesFailure kubernetes) {
                return kubernetes.reason() == KubernetesFailure.Reason.TRANSIENT;
            }
            if (e instanceof TransientDataAccessException // lock timeouts, deadlocks, serialization failures
                    || e instanceof RecoverableDataAccessException
                    || e instanceof DataAccessResourceFailureException // no connection, server shutting down
                    || e instanceof CannotCreateTransactionException // no connection to begin with
                    || e instanceof TransactionSystemException // the commit failed: redelivery finds out
                    || e instanceof SQLTransientException
                    || e instanceof SQLRecoverableException) {
                return true;
            }
            if (e.getCause() == e) {
                break;
            }
        }
        return false;
    }
}
