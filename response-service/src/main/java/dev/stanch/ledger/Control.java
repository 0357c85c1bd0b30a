package dev.stanch.ledger;

import dev.stanch.guardrail.Pause;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The pause switch in the ledger ({@code V3__control.sql}): one row that every instance sharing the
 * database reads when it admits an action ({@link LedgerActivity#pause()}), and the control log of
 * every change. A change locks the row, so that two people pausing at once do not both log a pause.
 */
final class Control {

    private Control() {}

    /** The switch as committed (or as this transaction left it). */
    static Optional<Pause> paused(JdbcClient jdbc) {
        return jdbc.sql("select paused, paused_by, paused_at, reason from control_switch")
                .query((rs, n) -> rs.getBoolean("paused")
                        ? Optional.of(new Pause(
                                rs.getString("paused_by"), Ledger.instant(rs, "paused_at"), rs.getString("reason")))
                        : Optional.<Pause>empty())
                .single();
    }

    /**
     * Pauses, unless paused already: then the pause in force stays (its who, when and why are what
     * on-call reads in every blocked action) and nothing is logged. Call inside a transaction.
     */
    static Pause pause(JdbcClient jdbc, Instant now, String by, String reason) {
        Optional<Pause> current = locked(jdbc);
        if (current.isPresent()) {
            return current.get();
        }
        jdbc.sql("update control_switch set paused = true, paused_by = :by, paused_at = :at, reason = :reason")
                .param("by", by)
                .param("at", Ledger.timestamp(now))
                .param("reason", reason)
                .update();
        log(jdbc, now, by, ControlEvent.Kind.PAUSE, reason);
        return new Pause(by, now, reason);
    }

    /** Resumes; false when it was not paused (nothing logged). Call inside a transaction. */
    static boolean resume(JdbcClient jdbc, Instant now, String by, String reason) {
        if (locked(jdbc).isEmpty()) {
            return false;
        }
        jdbc.sql("update control_switch set paused = false, paused_by = null, paused_at = null, reason = null")
                .update();
        log(jdbc, now, by, ControlEvent.Kind.RESUME, reason);
        return true;
    }

    /** The newest changes first. */
    static List<ControlEvent> log(JdbcClient jdbc, int limit) {
        return jdbc.sql("select seq, at, actor, action, reason from control_log order by seq desc limit :limit")
                .param("limit", limit)
                .query((rs, n) -> new ControlEvent(
                        rs.getLong("seq"),
                        Ledger.instant(rs, "at"),
                        rs.getString("actor"),
                        ControlEvent.Kind.valueOf(rs.getString("action").toUpperCase(Locale.ROOT)),
                        rs.getString("reason")))
                .list();
    }

    private static Optional<Pause> locked(JdbcClient jdbc) {
        jdbc.sql("select singleton from control_switch for update").query().listOfRows();
        return paused(jdbc);
    }

    private static void log(JdbcClient jdbc, Instant now, String by, ControlEvent.Kind action, String reason) {
        jdbc.sql("insert into control_log (at, actor, action, reason) values (:at, :actor, :action, :reason)")
                .param("at", Ledger.timestamp(now))
                .param("actor", by)
                .param("action", action.wireName())
                .param("reason", reason)
                .update();
    }
}
