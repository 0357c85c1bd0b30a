package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.kubernetes.KubernetesFailure;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;

/** Only failures that pass by themselves are retried: the rest would block a partition forever. */
class TransientIntakeFailureTest {

    @Test
    void anUnreachableOrOverloadedClusterIsTransient() {
        assertThat(TransientIntakeFailure.isTransient(
                        new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "list pods: transient (503)")))
                .isTrue();
    }

    @Test
    void aClusterThatAnswersNoIsNot() {
        for (KubernetesFailure.Reason reason : KubernetesFailure.Reason.values()) {
            if (reason != KubernetesFailure.Reason.TRANSIENT) {
                assertThat(TransientIntakeFailure.isTransient(new KubernetesFailure(reason, "list pods")))
                        .as(reason.wireName())
                        .isFalse();
            }
        }
    }

    @Test
    void aDatabaseThatIsAwayOrBusyIsTransient() {
        assertThat(TransientIntakeFailure.isTransient(new CannotGetJdbcConnectionException("no connection")))
                .isTrue();
        assertThat(TransientIntakeFailure.isTransient(new CannotCreateTransactionException(
                        "begin", new SQLTransientConnectionException("pool timeout"))))
                .isTrue();
        assertThat(TransientIntakeFailure.isTransient(new CannotAcquireLockException("deadlock")))
                .isTrue();
        assertThat(TransientIntakeFailure.isTransient(
                        new IllegalStateException("wrapped", new SQLTransientConnectionException("gone"))))
                .isTrue();
    }

    @Test
    void dataTheDatabaseRefusesAndBugsAreNot() {
        assertThat(TransientIntakeFailure.isTransient(new DataIntegrityViolationException("\\u0000 in text")))
                .isFalse();
        assertThat(TransientIntakeFailure.isTransient(new IllegalStateException("a bug")))
                .isFalse();
        assertThat(TransientIntakeFailure.isTransient(new NullPointerException()))
                .isFalse();
    }
}
