package dev.stanch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.Planning;
import dev.stanch.action.Refusal;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.ledger.MutableClock;
import dev.stanch.ledger.NewAction;
import dev.stanch.ledger.Transition;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/** {@code stanch audit verify} against a real PostgreSQL: an intact ledger, a tampered one, and what is not one. */
@ExtendWith(LedgerPostgresExtension.class)
class AuditVerifyCommandIT {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    /** A ledger of two blocked actions: four audit rows. */
    private record Ledgered(String url, JdbcClient sql, UUID first, UUID second) {}

    private static Ledgered ledger(LedgerPostgres postgres) {
        DataSource database = postgres.newDatabase();
        Ledger ledger = new Ledger(database, new MutableClock(T0));
        Target target = new Target("shop", "web-1", "main");
        ledger.storeDetection(new Detection(
                "cli-detection",
                Source.FALCO,
                "Terminal shell in container",
                Severity.HIGH,
                T0,
                target,
                null,
                Map.of()));
        UUID[] ids = new UUID[2];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Ledger.newActionId();
            ActionRequest request = new ActionRequest(
                    "terminal-shell",
                    "isolate",
                    1,
                    ActionKind.QUARANTINE_POD,
                    target,
                    Map.of(),
                    Approval.REQUIRED,
                    Duration.ofMinutes(15),
                    OnApprovalTimeout.REJECT,
                    null,
                    false);
            ledger.createAction(new NewAction(
                    ids[i],
                    "cli-detection",
                    request,
                    new Planning.Refused(Refusal.NOT_FOUND, "Pod shop/web-1 does not exist"),
                    "stanch:playbooks"));
            ledger.transition(Transition.of(
                    ids[i], ActionStatus.PLANNED, ActionStatus.BLOCKED, "stanch:guardrails", "the planner refused"));
        }
        return new Ledgered(LedgerPostgres.jdbcUrl(database), JdbcClient.create(database), ids[0], ids[1]);
    }

    @Test
    void anIntactLedgerVerifies(LedgerPostgres postgres) {
        Ledgered ledger = ledger(postgres);

        CliRun run = CliRun.of("audit", "verify", "--jdbc-url", ledger.url(), "--user", "postgres");

        assertThat(run.err()).isEmpty();
        assertThat(run.out()).isEqualTo("audit log intact: 4 rows, chain head at row 4\n");
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
    }

    @Test
    void aTamperedLedgerPrintsEachFindingAndExitsWithOne(LedgerPostgres postgres) {
        Ledgered ledger = ledger(postgres);
        ledger.sql()
                .sql("update actions set status = 'approved' where id = :id")
                .param("id", ledger.second())
                .update();
        ledger.sql().sql("alter table audit_log disable trigger all").update();
        ledger.sql().sql("update audit_log set actor = 'mallory' where seq = 2").update();
        ledger.sql().sql("alter table audit_log enable trigger all").update();

        CliRun run = CliRun.of("audit", "verify", "--jdbc-url", ledger.url(), "--user", "postgres");

        assertThat(run.out())
                .isEqualTo("edited: row 2 does not match its hash: it was changed after it was written\n"
                        + "status-mismatch: action " + ledger.second() + " is approved, but its last audit row, row 4,"
                        + " left it blocked: its status was changed behind the ledger's back\n"
                        + "audit log broken: 2 findings in 4 rows, chain head at row 4\n");
        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
    }

    @Test
    void aDatabaseWithoutALedgerIsAnErrorNotAFinding(LedgerPostgres postgres) {
        CliRun run = CliRun.of("audit", "verify", "--jdbc-url", postgres.jdbcUrl("postgres"));

        assertThat(run.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err())
                .startsWith("audit verify: " + postgres.jdbcUrl("postgres") + " holds no Stanch ledger that can be"
                        + " read: ERROR: relation \"audit_chain_head\" does not exist");
    }

    @Test
    void usageAndConnectionErrorsExitWithTwo(LedgerPostgres postgres) {
        Ledgered ledger = ledger(postgres);

        assertThat(CliRun.of("audit", "verify").exitCode()).isEqualTo(Cli.USAGE);
        assertThat(CliRun.of("audit").exitCode()).isEqualTo(Cli.USAGE);
        CliRun unset = CliRun.of(
                "audit", "verify", "--jdbc-url", ledger.url(), "--password-env", "STANCH_TEST_NO_SUCH_VARIABLE");
        assertThat(unset.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(unset.err())
                .isEqualTo("audit verify: environment variable STANCH_TEST_NO_SUCH_VARIABLE is not set\n");
        // Nothing listens on port 1.
        CliRun unreachable = CliRun.of("audit", "verify", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/stanch");
        assertThat(unreachable.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(unreachable.err())
                .startsWith("audit verify: cannot connect to jdbc:postgresql://127.0.0.1:1/stanch: ");
        assertThat(CliRun.of("audit", "verify", "--jdbc-url", "jdbc:nosuchdb://x")
                        .err())
                .startsWith("audit verify: cannot connect to jdbc:nosuchdb://x: No suitable driver");

        // A variable that is set is read (this server trusts local connections, so any value does).
        CliRun withPassword = CliRun.of(
                "audit", "verify", "--jdbc-url", ledger.url(), "--user", "postgres", "--password-env", "PATH");
        assertThat(withPassword.exitCode()).isEqualTo(Cli.OK);
    }
}
