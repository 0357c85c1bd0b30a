package dev.stanch.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Appends to the audit chain and walks it. Both run inside a transaction the {@link Ledger} opened.
 *
 * <p>Appends are serialized by a row lock on {@code audit_chain_head} ({@code SELECT … FOR
 * UPDATE}), held until the appending transaction ends. Why a head row rather than a
 * transaction-level advisory lock: the head hands out the next seq, so seq has no gaps (a rolled-back
 * transition gives its number back, where a sequence would leave a hole that looks like a deleted
 * row); it records the last hash, so that deleting the newest rows shows too; and it is an ordinary
 * row lock, visible in {@code pg_locks} against a named table, in no key space that another
 * component's advisory locks could collide with.
 */
final class AuditChain {

    private AuditChain() {}

    private record Head(long seq, String hash) {}

    /** Appends one row; the caller's transaction holds the action's row lock already. */
    static AuditEntry append(
            JdbcClient jdbc,
            UUID actionId,
            Instant at,
            String actor,
            @Nullable ActionStatus from,
            ActionStatus to,
            String reason,
            Map<String, Object> details) {
        Text.requireText("actor", actor);
        Text.requireText("reason", reason);
        // jsonb normalizes what it stores (key order, numbers): hash the details as they will be read
        // back, so that verify() computes the same hash from the column.
        record Locked(Head head, String details) {}
        Locked locked = jdbc.sql(
                        "select seq, hash, cast(:details as jsonb)::text as details from audit_chain_head for update")
                .param("details", LedgerJson.write(details))
                .query((rs, n) ->
                        new Locked(new Head(rs.getLong("seq"), rs.getString("hash")), rs.getString("details")))
                .single();
        long seq = locked.head().seq() + 1;
        String prevHash = locked.head().hash();
        String hash = AuditHash.hash(
                seq,
                actionId,
                at,
                actor,
                from == null ? null : from.wireName(),
                to.wireName(),
                reason,
                LedgerJson.readExact(locked.details()),
                prevHash);
        jdbc.sql("""
                        insert into audit_log (seq, action_id, at, actor, from_status, to_status, reason, details,
                                               prev_hash, hash)
                        values (:seq, :actionId, :at, :actor, :from, :to, :reason, cast(:details as jsonb),
                                :prevHash, :hash)""")
                .param("seq", seq)
                .param("actionId", actionId)
                .param("at", Ledger.timestamp(at))
                .param("actor", actor)
                .param("from", from == null ? null : from.wireName())
                .param("to", to.wireName())
                .param("reason", reason)
                .param("details", locked.details())
                .param("prevHash", prevHash)
                .param("hash", hash)
                .update();
        jdbc.sql("update audit_chain_head set seq = :seq, hash = :hash")
                .param("seq", seq)
                .param("hash", hash)
                .update();
        return new AuditEntry(
                seq, actionId, at, actor, from, to, reason, LedgerJson.readObject(locked.details()), prevHash, hash);
    }

    /**
     * Walks the chain in one snapshot, then compares every action with its rows ({@link
     * RecordedAction#check}); {@code streaming} reads the rows a batch at a time.
     */
    static AuditVerification verify(JdbcClient jdbc, JdbcClient streaming) {
        Head head = jdbc.sql("select seq, hash from audit_chain_head")
                .query((rs, n) -> new Head(rs.getLong("seq"), rs.getString("hash")))
                .single();
        Walk walk = new Walk(head);
        // Each row with the one before it of the same action: a transition starts where the last one
        // ended. PostgreSQL sorts for the window (on audit_log_action), then by seq for the walk.
        streaming.sql("""
                        select l.seq, l.action_id, l.at, l.actor, l.from_status, l.to_status, l.reason,
                               l.details::text as details, l.prev_hash, l.hash,
                               lag(l.seq) over by_action as previous_seq,
                               lag(l.to_status) over by_action as previous_to
                        from audit_log l
                        window by_action as (partition by l.action_id order by l.seq)
                        order by l.seq""").query(walk::row);
        walk.finishChain();
        RecordedAction.check(streaming, walk::add);
        return walk.result();
    }

    /** The state of one walk along the chain. */
    private static final class Walk {
        private final Head head;
        private final List<AuditVerification.Break> breaks = new ArrayList<>();
        private long breakCount;
        private long rows;
        private long expectedSeq = 1;
        private String previousHash = AuditHash.GENESIS;

        Walk(Head head) {
            this.head = head;
        }

        void row(ResultSet rs) throws SQLException {
            rows++;
            long seq = rs.getLong("seq");
            String prevHash = rs.getString("prev_hash");
            String hash = rs.getString("hash");
            if (seq > expectedSeq) {
                missing(expectedSeq, seq - 1, "row " + seq + " follows row " + (expectedSeq - 1));
            }
            UUID actionId = rs.getObject("action_id", UUID.class);
            String details = rs.getString("details");
            String recomputed = AuditHash.hash(
                    seq,
                    actionId,
                    Ledger.instant(rs, "at"),
                    rs.getString("actor"),
                    rs.getString("from_status"),
                    rs.getString("to_status"),
                    rs.getString("reason"),
                    LedgerJson.readExact(details),
                    prevHash);
            boolean linked = seq > expectedSeq || prevHash.equals(previousHash);
            if (!recomputed.equals(hash)) {
                add(
                        seq,
                        actionId,
                        AuditVerification.Kind.EDITED,
                        "row " + seq + " does not match its hash: it was changed" + " after it was written"
                                + (linked ? "" : ", and its prev_hash is not row " + (seq - 1) + "'s hash"));
            } else if (!linked) {
                add(
                        seq,
                        actionId,
                        AuditVerification.Kind.UNLINKED,
                        "row " + seq + "'s prev_hash is not row " + (seq - 1)
                                + "'s hash: row " + (seq - 1) + " was rewritten with a new hash, or row " + seq
                                + " replaced the one written");
            }
            if (seq > head.seq()) {
                add(
                        seq,
                        actionId,
                        AuditVerification.Kind.BEYOND_HEAD,
                        "row " + seq + " lies past the chain head (row " + head.seq()
                                + "): it was not appended by the ledger");
            }
            sequence(seq, actionId, rs.getString("from_status"), (Long) rs.getObject("previous_seq"), rs);
            previousHash = hash;
            expectedSeq = seq + 1;
        }

        /** The row against the action's previous row: it moves the action on from where that one left it. */
        private void sequence(long seq, UUID actionId, @Nullable String from, @Nullable Long previousSeq, ResultSet rs)
                throws SQLException {
            if (previousSeq == null) {
                return; // the action's first row: RecordedAction checks that it records the creation
            }
            String previousTo = rs.getString("previous_to");
            if (from == null) {
                add(
                        seq,
                        actionId,
                        AuditVerification.Kind.OUT_OF_SEQUENCE,
                        "row " + seq + " records the creation of action " + actionId + ", which row " + previousSeq
                                + " had moved to " + previousTo + " already");
            } else if (!from.equals(previousTo)) {
                add(
                        seq,
                        actionId,
                        AuditVerification.Kind.OUT_OF_SEQUENCE,
                        "row " + seq + " moves action " + actionId + " from " + from + ", but its previous row, row "
                                + previousSeq + ", left it " + previousTo);
            }
        }

        void finishChain() {
            long last = expectedSeq - 1;
            if (head.seq() > last) {
                missing(last + 1, head.seq(), "the chain head records row " + head.seq() + " as the last");
            } else if (head.seq() == last && !head.hash().equals(previousHash)) {
                add(
                        last,
                        null,
                        AuditVerification.Kind.HEAD_MISMATCH,
                        "the chain head records another hash for row " + last + ": it was rewritten with a new hash");
            }
        }

        AuditVerification result() {
            // The walk finds in seq order, the actions' check in its own: one list, by seq (stable, so
            // a row's own breaks come before what the actions' check says of it).
            breaks.sort(Comparator.comparingLong(AuditVerification.Break::seq));
            return new AuditVerification(rows, head.seq(), breaks, breakCount);
        }

        private void missing(long first, long last, String evidence) {
            for (long seq = first; seq <= last && breaks.size() < AuditVerification.MAX_REPORTED; seq++) {
                breaks.add(new AuditVerification.Break(
                        seq,
                        null,
                        AuditVerification.Kind.MISSING,
                        "row " + seq + " is missing (deleted): " + evidence));
            }
            breakCount += last - first + 1;
        }

        void add(AuditVerification.Break found) {
            breakCount++;
            if (breaks.size() < AuditVerification.MAX_REPORTED) {
                breaks.add(found);
            }
        }

        private void add(long seq, @Nullable UUID actionId, AuditVerification.Kind kind, String message) {
            add(new AuditVerification.Break(seq, actionId, kind, message));
        }
    }
}
