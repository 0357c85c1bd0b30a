package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.stanch.ledger.AuditVerification.Break;
import dev.stanch.ledger.AuditVerification.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The audit log's hash chain on a real PostgreSQL: it verifies while untouched, the database refuses
 * edits, and after a superuser disables the triggers and edits, deletes or inserts rows, verify()
 * names exactly the rows that were touched. Each test tampers with a database of its own.
 */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerAuditChainIT {

    /** A ledger with nine audit rows: three actions, moved along. */
    private record Chain(Ledger ledger, JdbcClient sql, UUID applied, UUID blocked, UUID dryRun) {}

    private static Chain chain(LedgerPostgres postgres) {
        DataSource dataSource = postgres.newDatabase();
        MutableClock clock = new MutableClock(T0);
        Ledger ledger = new Ledger(dataSource, clock);
        ledger.storeDetection(detection("chain", T0, WEB));
        UUID applied = ledger.createAction(newAction("chain", request())).id(); // 1
        UUID blocked = ledger.createAction(newAction("chain", request())).id(); // 2
        clock.advance(Duration.ofMillis(1500));
        move(ledger, applied, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL); // 3
        move(ledger, blocked, ActionStatus.PLANNED, ActionStatus.BLOCKED); // 4
        clock.advance(Duration.ofMinutes(2));
        ledger.transition(
                applied,
                ActionStatus.PENDING_APPROVAL,
                ActionStatus.APPROVED,
                "alice@example.com",
                "confirmed: \"C2\" per threat intel\nticket INC-7",
                Map.of("ticket", "INC-7", "score", 0.97, "tags", List.of("c2", "egress"))); // 5
        move(ledger, applied, ActionStatus.APPROVED, ActionStatus.APPLYING); // 6
        UUID dryRun = ledger.createAction(newAction("chain", request())).id(); // 7
        move(ledger, applied, ActionStatus.APPLYING, ActionStatus.APPLIED); // 8
        move(ledger, dryRun, ActionStatus.PLANNED, ActionStatus.DRY_RUN); // 9
        return new Chain(ledger, JdbcClient.create(dataSource), applied, blocked, dryRun);
    }

    private static void move(Ledger ledger, UUID id, ActionStatus from, ActionStatus to) {
        LedgerFixtures.move(ledger, id, from, to, "stanch:test", from.wireName() + " to " + to.wireName());
    }

    @Test
    void anUntouchedChainVerifies(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        AuditVerification verification = chain.ledger().verify();

        assertThat(verification.intact()).isTrue();
        assertThat(verification.breaks()).isEmpty();
        assertThat(verification.rows()).isEqualTo(9);
        assertThat(verification.headSeq()).isEqualTo(9);
        List<AuditEntry> trail =
                chain.ledger().find(chain.applied()).orElseThrow().trail();
        assertThat(trail).extracting(AuditEntry::seq).containsExactly(1L, 3L, 5L, 6L, 8L);
        assertThat(trail.getFirst().prevHash()).isEqualTo(AuditHash.GENESIS);
        assertThat(trail.get(2).details())
                .isEqualTo(Map.of("ticket", "INC-7", "score", 0.97, "tags", List.of("c2", "egress")));
    }

    @Test
    void theDatabaseRefusesToChangeTheLog(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        JdbcClient sql = chain.sql();

        assertThatThrownBy(() -> sql.sql("update audit_log set reason = 'x' where seq = 5")
                        .update())
                .hasMessageContaining("audit_log is append-only: UPDATE is not allowed");
        assertThatThrownBy(() -> sql.sql("delete from audit_log where seq = 5").update())
                .isInstanceOf(DataIntegrityViolationException.class)
                .rootCause()
                .hasMessageContaining("audit_log is append-only: DELETE is not allowed");
        assertThatThrownBy(() -> sql.sql("truncate audit_log cascade").update())
                .isInstanceOf(DataIntegrityViolationException.class)
                .rootCause()
                .hasMessageContaining("is append-only: TRUNCATE is not allowed");
        assertThatThrownBy(() -> sql.sql("update audit_chain_head set seq = 4").update())
                .isInstanceOf(DataIntegrityViolationException.class)
                .rootCause()
                .hasMessageContaining("audit_chain_head moves only onto the audit_log row just appended");
        assertThatThrownBy(() -> sql.sql("delete from audit_chain_head").update())
                .isInstanceOf(DataIntegrityViolationException.class)
                .rootCause()
                .hasMessageContaining("audit_chain_head: DELETE is not allowed");

        assertThat(chain.ledger().verify().intact()).isTrue();
    }

    @Test
    void anEditedReasonNamesItsRow(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        tamper(chain, "update audit_log set reason = 'approved as usual' where seq = 5");

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(
                        new Break(
                                5,
                                chain.applied(),
                                Kind.EDITED,
                                "row 5 does not match its hash: it was changed after it was written"),
                        // The approval it records is no longer the one the action shows.
                        new Break(
                                5,
                                chain.applied(),
                                Kind.ACTION_CHANGED,
                                "action " + chain.applied() + "'s decision_reason is \"confirmed: \"C2\" per threat"
                                        + " intel\nticket INC-7\", but row 5, which decided it, says \"approved as"
                                        + " usual\""));
    }

    @Test
    void everyColumnIsCovered(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        tamper(chain, "update audit_log set actor = 'mallory' where seq = 1");
        tamper(chain, "update audit_log set at = at + interval '1 microsecond' where seq = 3");
        tamper(chain, "update audit_log set details = jsonb_set(details, '{score}', '0.5') where seq = 5");
        tamper(chain, "update audit_log set to_status = 'rolled-back' where seq = 8");
        tamper(chain, "update audit_log set from_status = 'approved' where seq = 9");
        tamper(chain, "update audit_log set action_id = '" + chain.blocked() + "' where seq = 6");

        // What the edits also break (a row moved to another action's trail, a status no longer the last
        // row's) is reported too: here, only the rows whose hash fails.
        assertThat(chain.ledger().verify().breaks())
                .filteredOn(b -> b.kind() == Kind.EDITED)
                .extracting(Break::seq, Break::kind)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, Kind.EDITED),
                        org.assertj.core.groups.Tuple.tuple(3L, Kind.EDITED),
                        org.assertj.core.groups.Tuple.tuple(5L, Kind.EDITED),
                        org.assertj.core.groups.Tuple.tuple(6L, Kind.EDITED),
                        org.assertj.core.groups.Tuple.tuple(8L, Kind.EDITED),
                        org.assertj.core.groups.Tuple.tuple(9L, Kind.EDITED));
    }

    @Test
    void aDeletedMiddleRowNamesItsSeq(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        tamper(chain, "delete from audit_log where seq = 5");

        AuditVerification verification = chain.ledger().verify();
        assertThat(verification.breaks().getFirst())
                .isEqualTo(new Break(5, null, Kind.MISSING, "row 5 is missing (deleted): row 6 follows row 4"));
        // And what the missing row leaves behind: a trail with a hole, an approval nobody recorded.
        assertThat(verification.breaks())
                .extracting(Break::seq, Break::actionId, Break::kind)
                .containsExactly(
                        tuple(5L, null, Kind.MISSING),
                        tuple(6L, chain.applied(), Kind.OUT_OF_SEQUENCE),
                        tuple(8L, chain.applied(), Kind.ACTION_CHANGED),
                        tuple(8L, chain.applied(), Kind.ACTION_CHANGED));
        assertThat(verification.breaks().get(1).message())
                .isEqualTo("row 6 moves action " + chain.applied()
                        + " from approved, but its previous row, row 3, left it pending-approval");
        assertThat(verification.breaks().get(2).message())
                .isEqualTo("action " + chain.applied()
                        + "'s decided_by is \"alice@example.com\", but no audit row decided it");
        assertThat(verification.rows()).isEqualTo(8);
    }

    @Test
    void severalDeletionsAreEachNamed(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        tamper(chain, "delete from audit_log where seq in (2, 6, 7)");

        List<Break> breaks = chain.ledger().verify().breaks();
        assertThat(breaks)
                .filteredOn(b -> b.kind() == Kind.MISSING)
                .containsExactly(
                        new Break(2, null, Kind.MISSING, "row 2 is missing (deleted): row 3 follows row 1"),
                        new Break(6, null, Kind.MISSING, "row 6 is missing (deleted): row 8 follows row 5"),
                        new Break(7, null, Kind.MISSING, "row 7 is missing (deleted): row 8 follows row 5"));
        // Rows 2 and 7 created two actions, row 6 moved the third on.
        assertThat(breaks)
                .filteredOn(b -> b.kind() != Kind.MISSING)
                .extracting(Break::seq, Break::actionId, Break::kind)
                .containsExactly(
                        tuple(4L, chain.blocked(), Kind.NO_CREATION),
                        tuple(8L, chain.applied(), Kind.OUT_OF_SEQUENCE),
                        tuple(9L, chain.dryRun(), Kind.NO_CREATION));
    }

    @Test
    void deletingTheNewestRowsShowsAgainstTheChainHead(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        tamper(chain, "delete from audit_log where seq >= 8");

        List<Break> breaks = chain.ledger().verify().breaks();
        // The actions still show where the deleted rows had taken them.
        assertThat(breaks)
                .filteredOn(b -> b.kind() != Kind.MISSING)
                .extracting(Break::seq, Break::actionId, Break::kind)
                .containsExactly(
                        tuple(6L, chain.applied(), Kind.STATUS_MISMATCH),
                        tuple(6L, chain.applied(), Kind.ACTION_CHANGED), // an expiry no row set
                        tuple(7L, chain.dryRun(), Kind.STATUS_MISMATCH));
        assertThat(breaks)
                .filteredOn(b -> b.kind() == Kind.MISSING)
                .containsExactly(
                        new Break(
                                8,
                                null,
                                Kind.MISSING,
                                "row 8 is missing (deleted): the chain head records row 9 as the last"),
                        new Break(
                                9,
                                null,
                                Kind.MISSING,
                                "row 9 is missing (deleted): the chain head records row 9 as the last"));
    }

    @Test
    void aRowRewrittenWithANewHashBreaksTheNextLink(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        AuditEntry original = entry(chain, 5);
        String forged = AuditHash.hash(
                5,
                original.actionId(),
                original.at(),
                original.actor(),
                original.from().wireName(),
                original.to().wireName(),
                "approved as usual",
                LedgerJson.readExact(LedgerJson.write(original.details())),
                original.prevHash());

        tamper(chain, "update audit_log set reason = 'approved as usual', hash = '" + forged + "' where seq = 5");

        assertThat(chain.ledger().verify().breaks())
                .filteredOn(b -> b.kind() != Kind.ACTION_CHANGED) // the decision_reason, as when only edited
                .containsExactly(new Break(
                        6,
                        chain.applied(),
                        Kind.UNLINKED,
                        "row 6's prev_hash is not row 5's hash: row 5 was rewritten with a new hash, or row 6"
                                + " replaced the one written"));
    }

    @Test
    void theNewestRowRewrittenWithANewHashShowsAgainstTheChainHead(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        AuditEntry original = entry(chain, 9);
        String forged = AuditHash.hash(
                9,
                original.actionId(),
                original.at(),
                "mallory",
                original.from().wireName(),
                original.to().wireName(),
                original.reason(),
                LedgerJson.readExact(LedgerJson.write(original.details())),
                original.prevHash());

        tamper(chain, "update audit_log set actor = 'mallory', hash = '" + forged + "' where seq = 9");

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(new Break(
                        9,
                        null,
                        Kind.HEAD_MISMATCH,
                        "the chain head records another hash for row 9: it was rewritten with a new hash"));
    }

    @Test
    void aRowInsertedBehindTheLedgersBackIsNamed(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        AuditEntry last = entry(chain, 9);
        Instant at = last.at().plusSeconds(1);
        String hash = AuditHash.hash(
                10,
                chain.applied(),
                at,
                "mallory",
                "applied",
                "rolled-back",
                "tidy up",
                LedgerJson.readExact("{}"),
                last.hash());

        // Correctly chained, but appended by hand: the chain head did not move.
        chain.sql()
                .sql("""
                        insert into audit_log (seq, action_id, at, actor, from_status, to_status, reason, details,
                                               prev_hash, hash)
                        values (10, :id, :at, 'mallory', 'applied', 'rolled-back', 'tidy up', '{}', :prev, :hash)""")
                .param("id", chain.applied())
                .param("at", Ledger.timestamp(at))
                .param("prev", last.hash())
                .param("hash", hash)
                .update();

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(
                        new Break(
                                10,
                                chain.applied(),
                                Kind.BEYOND_HEAD,
                                "row 10 lies past the chain head (row 9): it was not appended by the ledger"),
                        // The row says rolled back; the action, still applied, was never told.
                        new Break(
                                10,
                                chain.applied(),
                                Kind.STATUS_MISMATCH,
                                "action " + chain.applied() + " is applied, but its last audit row, row 10, left it"
                                        + " rolled-back: its status was changed behind the ledger's back"));
    }

    @Test
    void aChangedPlanIsNamedByTheRowThatRecordedIt(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        chain.sql()
                .sql(
                        "update actions set plan = jsonb_set(plan, '{summary}', '\"nothing to worry about\"') where id = :id")
                .param("id", chain.dryRun())
                .update();

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(new Break(
                        7,
                        chain.dryRun(),
                        Kind.PLAN_CHANGED,
                        "action " + chain.dryRun() + "'s plan is not the one row 7 recorded at its creation"));
    }

    /** A direct {@code UPDATE actions SET status = …}: the status is not the one the last row left. */
    @Test
    void aStatusSetByHandIsNamedWithTheRowItContradicts(LedgerPostgres postgres) {
        Chain chain = chain(postgres);

        chain.sql()
                .sql("update actions set status = 'approved' where id = :id")
                .param("id", chain.blocked())
                .update();

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(new Break(
                        4,
                        chain.blocked(),
                        Kind.STATUS_MISMATCH,
                        "action " + chain.blocked() + " is approved, but its last audit row, row 4, left it blocked:"
                                + " its status was changed behind the ledger's back"));
    }

    /**
     * A row rewritten with its hash recomputed, and the head with it — what the hashes alone cannot
     * see — still shows when it no longer follows the action's previous row.
     */
    @Test
    void aRowThatDoesNotFollowItsActionsPreviousRowIsNamed(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        AuditEntry original = entry(chain, 9);
        String forged = AuditHash.hash(
                9,
                original.actionId(),
                original.at(),
                original.actor(),
                "approved",
                original.to().wireName(),
                original.reason(),
                LedgerJson.readExact(LedgerJson.write(original.details())),
                original.prevHash());

        tamper(chain, "update audit_log set from_status = 'approved', hash = '" + forged + "' where seq = 9");
        tamperHead(chain, "update audit_chain_head set hash = '" + forged + "'");

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(new Break(
                        9,
                        chain.dryRun(),
                        Kind.OUT_OF_SEQUENCE,
                        "row 9 moves action " + chain.dryRun()
                                + " from approved, but its previous row, row 7, left it planned"));
    }

    @Test
    void anActionWithoutACreationRowIsNamed(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        UUID forged = UUID.randomUUID();

        // Inserted by hand, a copy of an approved action: the executor would apply it.
        chain.sql()
                .sql("""
                        insert into actions (id, detection_id, playbook, stage, occurrence, kind, namespace, pod,
                            params, approval, approval_timeout, on_approval_timeout, expire_after, dry_run, status,
                            plan, refusal, refusal_message, requested_by, created_at, updated_at)
                        select :forged, detection_id, playbook, stage, occurrence, kind, namespace, pod, params,
                            approval, approval_timeout, on_approval_timeout, expire_after, dry_run, 'approved', plan,
                            refusal, refusal_message, requested_by, created_at, updated_at
                        from actions where id = :id""")
                .param("forged", forged)
                .param("id", chain.applied())
                .update();
        // And one whose creation row was deleted.
        tamper(chain, "delete from audit_log where seq = 2");

        assertThat(chain.ledger().verify().breaks())
                .containsExactly(
                        new Break(0, forged, Kind.NO_CREATION, "action " + forged + " has no audit rows at all"),
                        new Break(2, null, Kind.MISSING, "row 2 is missing (deleted): row 3 follows row 1"),
                        new Break(
                                4,
                                chain.blocked(),
                                Kind.NO_CREATION,
                                "action " + chain.blocked() + " has no audit row recording its creation: its first"
                                        + " row, row 4, moves it from planned"));
    }

    /** The request's settings, who asked, dry-run and the parameters: each against the creation row. */
    @Test
    void anEditedRequestIsNamedColumnByColumn(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        UUID id = chain.applied();

        chain.sql().sql("""
                        update actions set approval = 'auto', approval_timeout = null, on_approval_timeout = 'approve',
                            dry_run = true, requested_by = 'mallory', params = params || '{"detach": true}'
                        where id = :id""").param("id", id).update();

        String action = "action " + id + "'s ";
        assertThat(chain.ledger().verify().breaks())
                .extracting(Break::seq, Break::actionId, Break::kind, Break::message)
                .containsExactly(
                        changed(
                                1,
                                id,
                                action + "approval is \"auto\", but row 1 recorded \"required\" at its creation"),
                        changed(
                                1,
                                id,
                                action + "approval_timeout is none, but row 1 recorded \"PT15M\" at its creation"),
                        changed(
                                1,
                                id,
                                action + "on_approval_timeout is \"approve\", but row 1 recorded \"reject\" at its"
                                        + " creation"),
                        changed(1, id, action + "dry_run is true, but row 1 recorded false at its creation"),
                        changed(
                                1,
                                id,
                                action + "requested_by is \"mallory\", but row 1 recorded \"stanch:playbooks\" at"
                                        + " its creation"),
                        changed(1, id, action + "params are not those row 1 recorded at its creation"));
    }

    /** The deadline, the expiry and the decision: each against the row that set it. */
    @Test
    void editedTimesAndDecisionsAreNamedWithTheRowsThatSetThem(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        UUID id = chain.applied();
        Action before = chain.ledger().action(id);

        chain.sql().sql("""
                        update actions set approval_deadline = approval_deadline + interval '1 day',
                            expires_at = null, decided_by = 'bob@example.com'
                        where id = :id""").param("id", id).update();

        String action = "action " + id + "'s ";
        assertThat(chain.ledger().verify().breaks())
                .extracting(Break::seq, Break::actionId, Break::kind, Break::message)
                .containsExactly(
                        changed(
                                3,
                                id,
                                action + "approval_deadline is "
                                        + before.approvalDeadline().plus(Duration.ofDays(1))
                                        + ", but row 3, entering pending-approval, recorded "
                                        + before.approvalDeadline()),
                        changed(
                                5,
                                id,
                                action + "decided_by is \"bob@example.com\", but row 5, which decided it, says"
                                        + " \"alice@example.com\""),
                        changed(
                                8,
                                id,
                                action + "expires_at is none, but row 8, entering applied, recorded "
                                        + before.expiresAt()));
    }

    private static org.assertj.core.groups.Tuple changed(long seq, UUID id, String message) {
        return org.assertj.core.groups.Tuple.tuple(seq, id, Kind.ACTION_CHANGED, message);
    }

    @Test
    void appendsAfterARolledBackTransitionLeaveNoGap(LedgerPostgres postgres) {
        Chain chain = chain(postgres);
        UUID id = chain.applied();

        assertThatThrownBy(() -> chain.ledger().inTransaction(() -> {
                    move(chain.ledger(), id, ActionStatus.APPLIED, ActionStatus.ROLLING_BACK); // takes seq 10
                    throw new IllegalStateException("the caller fails after the transition");
                }))
                .isInstanceOf(IllegalStateException.class);
        move(chain.ledger(), id, ActionStatus.APPLIED, ActionStatus.ROLLING_BACK);

        assertThat(chain.ledger().find(id).orElseThrow().trail().getLast().seq())
                .isEqualTo(10);
        AuditVerification verification = chain.ledger().verify();
        assertThat(verification.intact()).isTrue();
        assertThat(verification.rows()).isEqualTo(10);
    }

    private static AuditEntry entry(Chain chain, long seq) {
        return chain.sql()
                .sql("select seq, action_id, at, actor, from_status, to_status, reason, details::text as details,"
                        + " prev_hash, hash from audit_log where seq = :seq")
                .param("seq", seq)
                .query((rs, n) -> Ledger.auditEntry(rs))
                .single();
    }

    private static void tamperHead(Chain chain, String statement) {
        chain.sql().sql("alter table audit_chain_head disable trigger all").update();
        try {
            chain.sql().sql(statement).update();
        } finally {
            chain.sql().sql("alter table audit_chain_head enable trigger all").update();
        }
    }

    /** What someone who may disable the triggers (the tables' owner, a superuser) can do. */
    private static void tamper(Chain chain, String statement) {
        chain.sql().sql("alter table audit_log disable trigger all").update();
        try {
            chain.sql().sql(statement).update();
        } finally {
            chain.sql().sql("alter table audit_log enable trigger all").update();
        }
    }
}
