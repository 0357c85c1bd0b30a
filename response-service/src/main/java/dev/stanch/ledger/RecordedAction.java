package dev.stanch.ledger;

import dev.stanch.detection.Target;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What the audit chain records of an action's row, and the check that the row still says the same:
 * the one definition that {@link Ledger#createAction} writes into the creation row and {@link
 * Ledger#verify()} reads back.
 *
 * <p>Hashing the audit rows protects only what they contain. An action's row in {@code actions} is
 * what the executor and the API act on — whether it needs approval, until when, with which
 * parameters and plan, in which status — so every column that decides what Stanch does or what a
 * person sees is also in some audit row, and an edit of the column alone shows as a difference:
 *
 * <ul>
 *   <li>the request and its settings, who requested it, dry-run, and digests of its parameters and
 *       plan (or the refusal): in the creation row's details ({@link #creationDetails});
 *   <li>the status: the {@code to} of the action's last row;
 *   <li>the approval deadline and the expiry time: in the details of the row that set them (entering
 *       pending-approval, entering applied), where the ledger writes them itself;
 *   <li>who decided and why: the actor and reason of the row that approved, rejected or expired it;
 *       the failure reason: the reason of the last row that failed it.
 * </ul>
 *
 * Leases, retry and failure counters and {@code updated_at} are an executor's working state, not a
 * record of what happened, and are not covered.
 */
final class RecordedAction {

    /** Where the ledger records a deadline it sets: the details of the row entering pending-approval. */
    static final String APPROVAL_DEADLINE = "approvalDeadline";

    /** Where the ledger records an expiry it sets: the details of the row entering applied. */
    static final String EXPIRES_AT = "expiresAt";

    /** The columns the creation row covers, as {@link Columns#read} reads them (alias {@code a}). */
    static final String COLUMNS = """
            a.detection_id, a.playbook, a.stage, a.occurrence, a.kind, a.namespace, a.pod,
            a.params::text as params, a.approval,
            (extract(epoch from a.approval_timeout) * 1000000)::bigint as approval_timeout_us,
            a.on_approval_timeout,
            (extract(epoch from a.expire_after) * 1000000)::bigint as expire_after_us,
            a.dry_run, a.requested_by, a.plan::text as plan, a.refusal, a.refusal_message""";

    /** The creation row's details, key by key, named as the column they cover. */
    private static final Map<String, String> COLUMN_OF = Map.ofEntries(
            Map.entry("detectionId", "detection_id"),
            Map.entry("playbook", "playbook"),
            Map.entry("stage", "stage"),
            Map.entry("occurrence", "occurrence"),
            Map.entry("kind", "kind"),
            Map.entry("target", "namespace/pod"),
            Map.entry("approval", "approval"),
            Map.entry("approvalTimeout", "approval_timeout"),
            Map.entry("onApprovalTimeout", "on_approval_timeout"),
            Map.entry("expireAfter", "expire_after"),
            Map.entry("dryRun", "dry_run"),
            Map.entry("requestedBy", "requested_by"),
            Map.entry("paramsSha256", "params"),
            Map.entry("refusal", "refusal"),
            Map.entry("refusalMessage", "refusal_message"));

    private RecordedAction() {}

    /** An action's columns as stored: jsonb as its text, intervals in microseconds. */
    record Columns(
            String detectionId,
            String playbook,
            String stage,
            long occurrence,
            String kind,
            String namespace,
            String pod,
            String params,
            String approval,
            @Nullable Long approvalTimeoutMicros,
            String onApprovalTimeout,
            @Nullable Long expireAfterMicros,
            boolean dryRun,
            String requestedBy,
            @Nullable String plan,
            @Nullable String refusal,
            @Nullable String refusalMessage) {

        static Columns read(ResultSet rs) throws SQLException {
            return new Columns(
                    rs.getString("detection_id"),
                    rs.getString("playbook"),
                    rs.getString("stage"),
                    rs.getLong("occurrence"),
                    rs.getString("kind"),
                    rs.getString("namespace"),
                    rs.getString("pod"),
                    rs.getString("params"),
                    rs.getString("approval"),
                    (Long) rs.getObject("approval_timeout_us"),
                    rs.getString("on_approval_timeout"),
                    (Long) rs.getObject("expire_after_us"),
                    rs.getBoolean("dry_run"),
                    rs.getString("requested_by"),
                    rs.getString("plan"),
                    rs.getString("refusal"),
                    rs.getString("refusal_message"));
        }
    }

    /**
     * What the creation row's details record: the request, its approval settings, who requested it,
     * dry-run, and SHA-256 digests (over canonical JSON, as {@link AuditHash} writes it) of the
     * parameters and the plan — or the planner's refusal. Durations as ISO-8601 ({@code PT15M}), null
     * for none.
     */
    static Map<String, Object> creationDetails(Columns columns) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("detectionId", columns.detectionId());
        details.put("playbook", columns.playbook());
        details.put("stage", columns.stage());
        details.put("occurrence", columns.occurrence());
        details.put("kind", columns.kind());
        details.put("target", new Target(columns.namespace(), columns.pod(), null).key());
        details.put("approval", columns.approval());
        details.put("approvalTimeout", duration(columns.approvalTimeoutMicros()));
        details.put("onApprovalTimeout", columns.onApprovalTimeout());
        details.put("expireAfter", duration(columns.expireAfterMicros()));
        details.put("dryRun", columns.dryRun());
        details.put("requestedBy", columns.requestedBy());
        details.put("paramsSha256", digest(columns.params()));
        if (columns.plan() != null) {
            details.put("planSha256", digest(columns.plan()));
        } else {
            details.put("refusal", columns.refusal());
            details.put("refusalMessage", columns.refusalMessage());
        }
        return details;
    }

    /** SHA-256 over the canonical JSON of a jsonb value as PostgreSQL prints it. */
    static String digest(String json) {
        return AuditHash.sha256(AuditHash.canonicalJson(LedgerJson.readExact(json)));
    }

    private static @Nullable String duration(@Nullable Long micros) {
        return micros == null ? null : Duration.of(micros, ChronoUnit.MICROS).toString();
    }

    /**
     * Compares every action with its audit rows, in the caller's snapshot, and hands each difference
     * to {@code findings}: an action without a creation row, a column that is not what its rows
     * recorded, a status that is not its last row's {@code to}.
     */
    static void check(JdbcClient streaming, Consumer<AuditVerification.Break> findings) {
        streaming.sql("select a.id, " + COLUMNS + """
                        , a.status, a.approval_deadline, a.expires_at, a.decided_by, a.decision_reason,
                          a.failure_reason,
                          f.seq as first_seq, f.from_status as first_from,
                          f.details::text as first_details,
                          l.seq as last_seq, l.to_status as last_to,
                          p.seq as pending_seq, p.details::text as pending_details,
                          ap.seq as applied_seq, ap.details::text as applied_details,
                          d.seq as decision_seq, d.actor as decision_actor, d.reason as decision_recorded,
                          fl.seq as failure_seq, fl.reason as failure_recorded
                        from actions a
                        left join lateral (select seq, from_status, details from audit_log
                                           where action_id = a.id order by seq limit 1) f on true
                        left join lateral (select seq, to_status from audit_log
                                           where action_id = a.id order by seq desc limit 1) l on true
                        left join lateral (select seq, details from audit_log
                                           where action_id = a.id and to_status = 'pending-approval'
                                           order by seq desc limit 1) p on true
                        left join lateral (select seq, details from audit_log
                                           where action_id = a.id and to_status = 'applied'
                                           order by seq desc limit 1) ap on true
                        left join lateral (select seq, actor, reason from audit_log
                                           where action_id = a.id and to_status in ('approved', 'rejected', 'expired')
                                           order by seq desc limit 1) d on true
                        left join lateral (select seq, reason from audit_log
                                           where action_id = a.id and to_status = 'failed'
                                           order by seq desc limit 1) fl on true
                        order by f.seq nulls first, a.id""").query(rs -> {
            new Check(rs, findings).run();
        });
    }

    /** The checks of one action's row. */
    private record Check(ResultSet rs, Consumer<AuditVerification.Break> findings) {

        void run() throws SQLException {
            UUID id = rs.getObject("id", UUID.class);
            Long firstSeq = (Long) rs.getObject("first_seq");
            if (firstSeq == null) {
                add(0, id, AuditVerification.Kind.NO_CREATION, "action " + id + " has no audit rows at all");
                return;
            }
            if (rs.getString("first_from") != null) {
                add(
                        firstSeq,
                        id,
                        AuditVerification.Kind.NO_CREATION,
                        "action " + id + " has no audit row recording its creation: its first row, row " + firstSeq
                                + ", moves it from " + rs.getString("first_from"));
            } else {
                creation(id, firstSeq);
            }
            long lastSeq = rs.getLong("last_seq");
            String status = rs.getString("status");
            String lastTo = rs.getString("last_to");
            if (!status.equals(lastTo)) {
                add(
                        lastSeq,
                        id,
                        AuditVerification.Kind.STATUS_MISMATCH,
                        "action " + id + " is " + status + ", but its last audit row, row " + lastSeq + ", left it "
                                + lastTo + ": its status was changed behind the ledger's back");
            }
            setBy(
                    id,
                    "approval_deadline",
                    "pending_seq",
                    "pending_details",
                    APPROVAL_DEADLINE,
                    "entering pending-approval");
            setBy(id, "expires_at", "applied_seq", "applied_details", EXPIRES_AT, "entering applied");
            madeBy(id, "decided_by", rs.getString("decision_actor"), "decision_seq", "decided it");
            madeBy(id, "decision_reason", rs.getString("decision_recorded"), "decision_seq", "decided it");
            madeBy(id, "failure_reason", rs.getString("failure_recorded"), "failure_seq", "failed it");
        }

        /** The creation row's details against the columns they cover. */
        private void creation(UUID id, long seq) throws SQLException {
            Columns columns = Columns.read(rs);
            @SuppressWarnings("unchecked") // the details column holds an object
            Map<String, Object> recorded = (Map<String, Object>) LedgerJson.readExact(rs.getString("first_details"));
            Map<String, Object> now = creationDetails(columns);
            Object recordedPlan = recorded.get("planSha256");
            Object planNow = now.get("planSha256");
            if (!Objects.equals(recordedPlan, planNow)) {
                add(
                        seq,
                        id,
                        AuditVerification.Kind.PLAN_CHANGED,
                        "action " + id + "'s plan is not the one row " + seq + " recorded at its creation"
                                + (planNow == null ? ": it has none now" : ""));
            }
            for (var entry : now.entrySet()) {
                String key = entry.getKey();
                if (key.equals("planSha256")) {
                    continue;
                }
                if (!recorded.containsKey(key)) {
                    add(
                            seq,
                            id,
                            AuditVerification.Kind.ACTION_CHANGED,
                            "action " + id + "'s " + COLUMN_OF.get(key) + " is not recorded in row " + seq
                                    + ", which created it");
                } else if (!AuditHash.canonicalJson(entry.getValue())
                        .equals(AuditHash.canonicalJson(recorded.get(key)))) {
                    add(
                            seq,
                            id,
                            AuditVerification.Kind.ACTION_CHANGED,
                            key.endsWith("Sha256")
                                    ? "action " + id + "'s " + COLUMN_OF.get(key) + " are not those row " + seq
                                            + " recorded at its creation"
                                    : "action " + id + "'s " + COLUMN_OF.get(key) + " is " + shown(entry.getValue())
                                            + ", but row " + seq + " recorded " + shown(recorded.get(key))
                                            + " at its creation");
                }
            }
        }

        /** A time the ledger set on a transition and wrote into that row's details. */
        private void setBy(UUID id, String column, String seqColumn, String detailsColumn, String key, String move)
                throws SQLException {
            Instant actual = Ledger.nullableInstant(rs, column);
            Long seq = (Long) rs.getObject(seqColumn);
            Object recorded = seq == null
                    ? null
                    : LedgerJson.readObject(rs.getString(detailsColumn)).get(key);
            Instant expected = recorded == null ? null : Instant.parse(recorded.toString());
            if (Objects.equals(actual, expected)) {
                return;
            }
            String message = seq == null
                    ? "action " + id + "'s " + column + " is " + actual + ", but no audit row shows it " + move
                    : "action " + id + "'s " + column + " is " + shown(actual) + ", but row " + seq + ", " + move
                            + ", recorded " + shown(expected);
            add(seq == null ? rs.getLong("last_seq") : seq, id, AuditVerification.Kind.ACTION_CHANGED, message);
        }

        /** A column that is the actor or reason of the last row of a kind, or null without one. */
        private void madeBy(UUID id, String column, @Nullable String expected, String seqColumn, String made)
                throws SQLException {
            String actual = rs.getString(column);
            if (Objects.equals(actual, expected)) {
                return;
            }
            Long seq = (Long) rs.getObject(seqColumn);
            String message = seq == null
                    ? "action " + id + "'s " + column + " is " + shown(actual) + ", but no audit row " + made
                    : "action " + id + "'s " + column + " is " + shown(actual) + ", but row " + seq + ", which " + made
                            + ", says " + shown(expected);
            add(seq == null ? rs.getLong("last_seq") : seq, id, AuditVerification.Kind.ACTION_CHANGED, message);
        }

        private void add(long seq, UUID id, AuditVerification.Kind kind, String message) {
            findings.accept(new AuditVerification.Break(seq, id, kind, message));
        }

        private static String shown(@Nullable Object value) {
            return value == null ? "none" : value instanceof String text ? "\"" + text + "\"" : value.toString();
        }
    }
}
