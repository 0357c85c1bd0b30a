package dev.stanch.ledger;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Writes one outbox row per audit row, in the same transaction: the message for Kafka {@code
 * stanch.actions}, a CloudEvent (structured mode, JSON) whose type names the new status, e.g.
 * {@code dev.stanch.action.pending-approval}. It carries the audit row's hash, so that the chain is
 * anchored outside the database too.
 */
final class Outbox {

    static final String SOURCE = "/stanch/ledger";
    static final String TYPE_PREFIX = "dev.stanch.action.";

    private Outbox() {}

    static void write(JdbcClient jdbc, Action action, AuditEntry entry) {
        jdbc.sql("""
                        insert into outbox (action_id, audit_seq, payload, created_at)
                        values (:actionId, :seq, cast(:payload as jsonb), :at)""")
                .param("actionId", action.id())
                .param("seq", entry.seq())
                .param("payload", LedgerJson.write(payload(action, entry)))
                .param("at", Ledger.timestamp(entry.at()))
                .update();
    }

    static Map<String, Object> payload(Action action, AuditEntry entry) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("actionId", action.id().toString());
        data.put("kind", action.kind().wireName());
        data.put("namespace", action.target().namespace());
        data.put("pod", action.target().pod());
        data.put("playbook", action.playbook());
        data.put("stage", action.stage());
        data.put("detectionId", action.detectionId());
        data.put("dryRun", action.dryRun());
        data.put("from", entry.from() == null ? null : entry.from().wireName());
        data.put("to", entry.to().wireName());
        data.put("actor", entry.actor());
        data.put("reason", entry.reason());
        data.put("auditSeq", entry.seq());
        data.put("auditHash", entry.hash());
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("specversion", "1.0");
        event.put("id", "audit-" + entry.seq());
        event.put("source", SOURCE);
        event.put("type", TYPE_PREFIX + entry.to().wireName());
        event.put("subject", action.id().toString());
        event.put("time", AuditHash.formatAt(entry.at()));
        event.put("datacontenttype", "application/json");
        event.put("data", data);
        return event;
    }
}
