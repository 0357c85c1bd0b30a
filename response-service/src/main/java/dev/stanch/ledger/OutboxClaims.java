package dev.stanch.ledger;

import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Hands outbox rows to a publisher so that every instance can run one (see {@link
 * Ledger#publishOutbox}): rows are claimed with {@code FOR UPDATE SKIP LOCKED}, so two publishers
 * never send the same row in the normal path, and a row is handed out only when no earlier
 * unpublished row of its action is held by another publisher, so that an action's transitions reach
 * Kafka in the order they happened. Call inside a transaction: the locks last until it ends.
 */
final class OutboxClaims {

    private OutboxClaims() {}

    static int publish(JdbcClient jdbc, int limit, OutboxPublisher publisher, Supplier<OffsetDateTime> now) {
        List<Long> claimed =
                jdbc.sql("""
                        select id from outbox where published_at is null
                        order by id limit :limit for update skip locked""").param("limit", limit).query(Long.class).list();
        if (claimed.isEmpty()) {
            return 0;
        }
        // An action's rows are numbered in the order its transitions committed (each transition locks
        // the action's row before it writes its outbox row). An earlier unpublished row that this
        // claim did not get is being published by someone else: its successors wait for the next round.
        List<OutboxMessage> ready = jdbc.sql("""
                        select o.id, o.action_id, o.audit_seq, o.payload::text as payload, o.created_at
                        from outbox o
                        where o.id in (:claimed)
                          and not exists (
                              select 1 from outbox earlier
                              where earlier.action_id = o.action_id and earlier.published_at is null
                                and earlier.id < o.id and earlier.id not in (:claimed))
                        order by o.id""")
                .param("claimed", claimed)
                .query((rs, n) -> new OutboxMessage(
                        rs.getLong("id"),
                        rs.getObject("action_id", UUID.class),
                        rs.getLong("audit_seq"),
                        LedgerJson.readObject(rs.getString("payload")),
                        Ledger.instant(rs, "created_at")))
                .list();
        if (ready.isEmpty()) {
            return 0;
        }
        Collection<Long> acknowledged = publisher.publish(ready);
        Set<Long> handed = new HashSet<>();
        ready.forEach(message -> handed.add(message.id()));
        List<Long> published =
                acknowledged.stream().filter(handed::contains).distinct().toList();
        if (published.isEmpty()) {
            return 0;
        }
        return jdbc.sql("update outbox set published_at = :now where id in (:ids) and published_at is null")
                .param("now", now.get())
                .param("ids", published)
                .update();
    }
}
