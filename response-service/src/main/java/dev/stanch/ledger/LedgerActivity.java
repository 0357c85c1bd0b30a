package dev.stanch.ledger;

import dev.stanch.guardrail.Activity;
import dev.stanch.guardrail.Pause;
import java.time.Instant;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The guardrails' {@link Activity}, answered by counting the ledger's actions. Plain reads, without
 * {@code FOR UPDATE}: inside {@link Ledger#inTransaction} they see what is committed plus the caller's
 * own writes, so two admissions running at once may each count the other's action as not there yet.
 * The limits can then be overshot by at most the number of intakes admitting at the same moment
 * (docs/architecture.md, "Guardrails") — the price of not serializing every intake on one lock.
 */
final class LedgerActivity implements Activity {

    /** What {@link Activity#startedSince} leaves out: never let through to change the cluster. */
    private static final String NOT_STARTED = "('planned', 'blocked', 'dry-run')";

    /** What {@link Activity#active()} counts: holds changes in the cluster, or may make some. */
    private static final String ACTIVE =
            "('pending-approval', 'approved', 'applying', 'applied', 'failed', 'rolling-back')";

    private final JdbcClient jdbc;

    LedgerActivity(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public long startedSince(Instant since) {
        return jdbc.sql("select count(*) from actions where created_at >= :since and status not in " + NOT_STARTED)
                .param("since", Ledger.timestamp(since))
                .query(Long.class)
                .single();
    }

    @Override
    public long startedSince(Instant since, String namespace) {
        return jdbc.sql("select count(*) from actions where created_at >= :since and namespace = :namespace"
                        + " and status not in " + NOT_STARTED)
                .param("since", Ledger.timestamp(since))
                .param("namespace", namespace)
                .query(Long.class)
                .single();
    }

    @Override
    public long active() {
        return jdbc.sql("select count(*) from actions where status in " + ACTIVE)
                .query(Long.class)
                .single();
    }

    /** The switch in the ledger ({@link Ledger#pause}), which every instance sharing it reads. */
    @Override
    public Optional<Pause> pause() {
        return Control.paused(jdbc);
    }
}
