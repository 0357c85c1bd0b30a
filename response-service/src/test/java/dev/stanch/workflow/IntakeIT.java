package dev.stanch.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.ServerInfo;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.kubernetes.KubernetesFailure;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.ledger.MutableClock;
import dev.stanch.playbook.PlaybookEngine;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The intake's memory of the detections it took in, on a real PostgreSQL: a remembered id is a
 * duplicate without a database round trip, and an id is remembered only once its transaction has
 * committed. The cluster is a guard that answers with an empty cluster (or fails): the plan is not
 * what this is about.
 */
@ExtendWith(LedgerPostgresExtension.class)
class IntakeIT {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final String RULE = "Terminal shell in container";

    private final MutableClock clock = new MutableClock(T0);
    private final CountingDataSource database;
    private final Ledger ledger;
    private final FailingAtWill guard = new FailingAtWill();
    private final List<Intake.Result> observed = new CopyOnWriteArrayList<>();
    private final AtomicInteger detections = new AtomicInteger();

    IntakeIT(LedgerPostgres postgres) {
        this.database = new CountingDataSource(postgres.newDatabase());
        this.ledger = new Ledger(database, clock);
    }

    @Test
    void aDetectionTakenInIsADuplicateAfterwardsWithoutTouchingTheDatabase() {
        Intake intake = intake();
        Detection detection = detection();

        assertThat(intake.accept(detection)).isInstanceOf(Intake.Result.Acted.class);
        int connections = database.connections.get();
        assertThat(connections).as("the first time goes to the ledger").isPositive();

        for (int i = 0; i < 3; i++) {
            assertThat(intake.accept(detection)).isEqualTo(new Intake.Result.Duplicate(detection.id()));
        }

        assertThat(database.connections.get())
                .as("no connection taken for a remembered id")
                .isEqualTo(connections);
        assertThat(actionsOf(detection)).isEqualTo(1);
        assertThat(observed)
                .as("the observer still sees every call")
                .hasSize(4)
                .first()
                .isInstanceOf(Intake.Result.Acted.class);
        assertThat(observed.subList(1, 4)).allMatch(Intake.Result.Duplicate.class::isInstance);
    }

    @Test
    void aDuplicateTheDatabaseFoundIsRememberedToo() {
        Detection detection = detection();
        assertThat(intake().accept(detection)).isInstanceOf(Intake.Result.Acted.class);
        // Another instance, or this one after a restart: it has not seen the id, the ledger has.
        Intake other = intake();
        int before = database.connections.get();

        assertThat(other.accept(detection)).isEqualTo(new Intake.Result.Duplicate(detection.id()));
        int afterFirst = database.connections.get();
        assertThat(other.accept(detection)).isEqualTo(new Intake.Result.Duplicate(detection.id()));

        assertThat(afterFirst).as("found a duplicate by the ledger's key").isGreaterThan(before);
        assertThat(database.connections.get()).as("then remembered").isEqualTo(afterFirst);
        assertThat(actionsOf(detection)).isEqualTo(1);
    }

    @Test
    void anIntakeThatFailedIsNotRememberedAndItsRedeliveryIsTakenIn() {
        Intake intake = intake();
        Detection detection = detection();
        guard.failing.set(true);

        // The cluster cannot be read for the plan: the transaction that stored the detection rolls back.
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> intake.accept(detection))
                    .as("delivery %d: not answered as a duplicate from memory", i + 1)
                    .isInstanceOf(KubernetesFailure.class);
        }
        assertThat(stored(detection)).as("nothing stored").isFalse();
        assertThat(guard.calls.get())
                .as("each delivery went to the ledger and the cluster")
                .isEqualTo(2);

        guard.failing.set(false);
        assertThat(intake.accept(detection)).isInstanceOf(Intake.Result.Acted.class);
        assertThat(intake.accept(detection)).isEqualTo(new Intake.Result.Duplicate(detection.id()));

        assertThat(actionsOf(detection)).isEqualTo(1);
        assertThat(stored(detection)).isTrue();
    }

    @Test
    void detectionsNoPlaybookActsOnAreRememberedAsWell() {
        Intake intake = intake();
        Detection unmatched = new Detection(
                "falco-unmatched-" + detections.incrementAndGet(),
                Source.FALCO,
                "Some rule no playbook names",
                Severity.HIGH,
                clock.instant(),
                new Target("shop", "web-1", "main"),
                null,
                Map.of());

        assertThat(intake.accept(unmatched)).isInstanceOf(Intake.Result.NoAction.class);
        int connections = database.connections.get();
        assertThat(intake.accept(unmatched)).isEqualTo(new Intake.Result.Duplicate(unmatched.id()));

        assertThat(database.connections.get()).isEqualTo(connections);
    }

    // ---------------------------------------------------------------------------------------------

    private Intake intake() {
        return new Intake(
                ledger,
                playbooks(),
                Guardrails.defaults(),
                // Never called: the guard answers for the cluster.
                new ClusterReader(mock(KubernetesClient.class)),
                guard,
                clock,
                new Intake.Observer() {
                    @Override
                    public void accepted(Intake.Result result, Duration took) {
                        observed.add(result);
                    }
                });
    }

    private Detection detection() {
        return new Detection(
                "falco-intake-" + detections.incrementAndGet(),
                Source.FALCO,
                RULE,
                Severity.HIGH,
                clock.instant(),
                new Target("shop", "web-1", "main"),
                null,
                Map.of("proc.name", "bash"));
    }

    private static Supplier<PlaybookEngine> playbooks() {
        PlaybookSet set = new PlaybookLoader().parse("test.yaml", """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: terminal-shell}
                spec:
                  match:
                    sources: [falco]
                    rules: ["%s"]
                    minSeverity: low
                  window: 1h
                  stages:
                    - name: isolate
                      after: 1
                      action: quarantine-pod
                      approval: required
                      approvalTimeout: 30m
                """.formatted(RULE));
        assertThat(set.errors()).isEmpty();
        PlaybookEngine engine = new PlaybookEngine(set.playbooks());
        return () -> engine;
    }

    private long actionsOf(Detection detection) {
        return JdbcClient.create(database)
                .sql("select count(*) from actions where detection_id = :id")
                .param("id", detection.id())
                .query(Long.class)
                .single();
    }

    private boolean stored(Detection detection) {
        return JdbcClient.create(database)
                        .sql("select count(*) from detections where id = :id")
                        .param("id", detection.id())
                        .query(Long.class)
                        .single()
                > 0;
    }

    /** Answers every read of the cluster with an empty cluster, or, while failing, with a transient failure. */
    private static final class FailingAtWill implements ClusterGuard {

        final AtomicBoolean failing = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        @SuppressWarnings("unchecked")
        public <T> T call(Supplier<T> call) {
            calls.incrementAndGet();
            if (failing.get()) {
                throw new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "the API server does not answer");
            }
            return (T) ClusterSnapshot.empty(ServerInfo.of(1, 33));
        }
    }

    /** Counts the connections taken: the ledger takes one for every transaction and every query. */
    private static final class CountingDataSource extends DelegatingDataSource {

        final AtomicInteger connections = new AtomicInteger();

        CountingDataSource(DataSource target) {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            connections.incrementAndGet();
            return super.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            connections.incrementAndGet();
            return super.getConnection(username, password);
        }
    }
}
