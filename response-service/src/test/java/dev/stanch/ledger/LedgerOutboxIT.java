package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The outbox: one message per transition, written with it, never without it. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerOutboxIT {

    private static Ledger ledger;
    private static JdbcClient sql;

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        DataSource dataSource = postgres.newDatabase();
        ledger = new Ledger(dataSource, new MutableClock(T0));
        sql = JdbcClient.create(dataSource);
        ledger.storeDetection(detection("outbox", T0, WEB));
    }

    @Test
    void everyTransitionHasExactlyOneMessageAndNothingElseHasAny() {
        UUID id = ledger.createAction(newAction("outbox", request())).id();
        move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL);
        // Refused moves write nothing.
        assertThatThrownBy(() -> move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPLYING))
                .isInstanceOf(TransitionConflict.class);
        assertThatThrownBy(() -> move(id, ActionStatus.PLANNED, ActionStatus.APPROVED))
                .isInstanceOf(TransitionConflict.class);
        // A transition whose transaction the caller rolls back writes nothing either.
        assertThatThrownBy(() -> ledger.inTransaction(() -> {
                    move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED);
                    throw new IllegalStateException("publishing the approval failed");
                }))
                .isInstanceOf(IllegalStateException.class);
        move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED);
        UUID other = ledger.createAction(newAction("outbox", request())).id();
        move(other, ActionStatus.PLANNED, ActionStatus.DRY_RUN);

        assertThat(sql.sql("""
                        select l.seq, l.action_id, o.audit_seq, o.action_id as outbox_action
                        from audit_log l full join outbox o on o.audit_seq = l.seq
                        where l.seq is null or o.id is null or o.action_id <> l.action_id""").query((rs, n) -> rs.getObject(1)).list())
                .as("audit rows without their message, messages without their row")
                .isEmpty();
        assertThat(ledger.find(id).orElseThrow().trail())
                .extracting(e -> e.to().wireName())
                .containsExactly("planned", "pending-approval", "approved");
        assertThat(count("audit_log")).isEqualTo(count("outbox"));
        assertThat(ledger.verify().breaks()).isEmpty();
    }

    @Test
    void aMessageIsACloudEventThatCarriesTheAuditRowsHash() {
        UUID id = ledger.createAction(newAction("outbox", request())).id();
        Transitioned blocked = ledger.transition(Transition.of(
                id, ActionStatus.PLANNED, ActionStatus.BLOCKED, "stanch:guardrails", "namespace shop is paused"));

        OutboxMessage message = sql.sql("select id from outbox where audit_seq = :seq")
                .param("seq", blocked.entry().seq())
                .query(Long.class)
                .optional()
                .flatMap(outboxId -> ledger.unpublished(1000).stream()
                        .filter(m -> m.id() == outboxId)
                        .findFirst())
                .orElseThrow();

        assertThat(message.actionId()).isEqualTo(id);
        assertThat(message.auditSeq()).isEqualTo(blocked.entry().seq());
        assertThat(message.createdAt()).isEqualTo(blocked.entry().at());
        assertThat(message.payload())
                .containsEntry("specversion", "1.0")
                .containsEntry("id", "audit-" + blocked.entry().seq())
                .containsEntry("source", "/stanch/ledger")
                .containsEntry("type", "dev.stanch.action.blocked")
                .containsEntry("subject", id.toString())
                .containsEntry("time", "2026-11-22T10:00:00.000000Z")
                .containsEntry("datacontenttype", "application/json");
        assertThat(message.payload().get("data"))
                .isEqualTo(Map.ofEntries(
                        Map.entry("actionId", id.toString()),
                        Map.entry("kind", "quarantine-pod"),
                        Map.entry("namespace", "shop"),
                        Map.entry("pod", "web-7d9f-aaaaa"),
                        Map.entry("playbook", "outbound-c2"),
                        Map.entry("stage", "stage-quarantine-pod"),
                        Map.entry("detectionId", "outbox"),
                        Map.entry("dryRun", false),
                        Map.entry("from", "planned"),
                        Map.entry("to", "blocked"),
                        Map.entry("actor", "stanch:guardrails"),
                        Map.entry("reason", "namespace shop is paused"),
                        Map.entry("auditSeq", blocked.entry().seq()),
                        Map.entry("auditHash", blocked.entry().hash())));
    }

    @Test
    void publishedMessagesAreNotHandedOutAgain() {
        UUID id = ledger.createAction(newAction("outbox", LedgerFixtures.autoRequest()))
                .id();
        move(id, ActionStatus.PLANNED, ActionStatus.APPROVED);
        List<OutboxMessage> pending = ledger.unpublished(1000);
        assertThat(pending).extracting(OutboxMessage::id).isSorted();
        List<Long> ids = pending.stream().map(OutboxMessage::id).toList();

        ledger.markPublished(ids);

        assertThat(ledger.unpublished(1000)).isEmpty();
        assertThat(sql.sql("select count(*) from outbox where published_at is null")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    private static void move(UUID id, ActionStatus from, ActionStatus to) {
        ledger.transition(Transition.of(id, from, to, "bob@example.com", "to " + to.wireName()));
    }

    private static long count(String table) {
        return sql.sql("select count(*) from " + table).query(Long.class).single();
    }
}
