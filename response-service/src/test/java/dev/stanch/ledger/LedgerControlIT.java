package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Gate;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.guardrail.Pause;
import dev.stanch.guardrail.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The pause switch in PostgreSQL: shared by every ledger on the database, logged, append-only. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerControlIT {

    private final MutableClock clock = new MutableClock(T0);
    private final DataSource dataSource;
    private final Ledger ledger;
    /** Another instance of the service on the same database. */
    private final Ledger otherInstance;

    private final JdbcClient sql;

    LedgerControlIT(LedgerPostgres postgres) {
        this.dataSource = postgres.newDatabase();
        this.ledger = new Ledger(dataSource, clock);
        this.otherInstance = new Ledger(dataSource, clock);
        this.sql = JdbcClient.create(dataSource);
    }

    @BeforeEach
    void notPaused() {
        assertThat(ledger.paused()).isEmpty();
    }

    @Test
    void aPauseIsSeenByEveryInstanceAndBlocksTheGateUntilResumed() {
        Pause pause = ledger.pause("alice", "investigating a bad playbook");

        assertThat(pause).isEqualTo(new Pause("alice", T0, "investigating a bad playbook"));
        assertThat(otherInstance.paused()).contains(pause);
        assertThat(otherInstance.activity().pause()).contains(pause);
        Admit admit = new Gate(Guardrails.defaults())
                .admit(
                        request(),
                        LedgerFixtures.plan(UUID.randomUUID(), request()),
                        otherInstance.activity(),
                        clock.instant());
        assertThat(admit).isInstanceOf(Admit.Blocked.class);
        assertThat(((Admit.Blocked) admit).rule()).isEqualTo(Rule.PAUSED);
        assertThat(admit.reason()).isEqualTo("paused by alice at " + T0 + ": investigating a bad playbook");

        clock.advance(Duration.ofMinutes(5));
        assertThat(otherInstance.resume("bob", "playbook fixed")).isTrue();
        assertThat(ledger.paused()).isEmpty();
        assertThat(ledger.activity().pause()).isEmpty();

        assertThat(ledger.controlLog(10))
                .extracting(ControlEvent::actor, ControlEvent::action, ControlEvent::reason, ControlEvent::at)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "bob", ControlEvent.Kind.RESUME, "playbook fixed", T0.plus(Duration.ofMinutes(5))),
                        org.assertj.core.groups.Tuple.tuple(
                                "alice", ControlEvent.Kind.PAUSE, "investigating a bad playbook", T0));
    }

    @Test
    void pausingAgainKeepsThePauseInForceAndResumingTwiceChangesNothing() {
        Pause first = ledger.pause("alice", "first");
        clock.advance(Duration.ofMinutes(1));

        assertThat(otherInstance.pause("bob", "second")).isEqualTo(first);
        assertThat(ledger.paused()).contains(first);
        assertThat(ledger.resume("bob", "done")).isTrue();
        assertThat(ledger.resume("carol", "again")).isFalse();

        assertThat(ledger.controlLog(10)).extracting(ControlEvent::actor).containsExactly("bob", "alice");
    }

    @Test
    void timesAreKeptToTheMicrosecond() {
        clock.set(Instant.parse("2026-11-22T10:00:00.123456789Z"));
        assertThat(ledger.pause("alice", "why").at()).isEqualTo(Instant.parse("2026-11-22T10:00:00.123456Z"));
        assertThat(ledger.paused().orElseThrow().at()).isEqualTo(Instant.parse("2026-11-22T10:00:00.123456Z"));
        ledger.resume("alice", "done");
    }

    @Test
    void whoAndWhyAreRequired() {
        assertThatThrownBy(() -> ledger.pause(" ", "why"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("by");
        assertThatThrownBy(() -> ledger.resume("alice", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reason");
        assertThat(ledger.controlLog(10)).isEmpty();
    }

    @Test
    void theControlLogIsAppendOnlyAndTheSwitchRowStays() {
        ledger.pause("alice", "why");
        ledger.resume("alice", "done");

        assertThatThrownBy(() ->
                        sql.sql("update control_log set reason = 'nothing'").update())
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> sql.sql("delete from control_log").update()).hasMessageContaining("append-only");
        assertThatThrownBy(() -> sql.sql("delete from control_switch").update()).hasMessageContaining("not allowed");
        assertThatThrownBy(() -> sql.sql("insert into control_switch (singleton, paused) values (true, false)")
                        .update())
                .hasMessageContaining("not allowed");
        assertThat(ledger.controlLog(10)).hasSize(2);
    }
}
