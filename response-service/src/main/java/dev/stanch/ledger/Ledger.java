package dev.stanch.ledger;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.PlanDocument;
import dev.stanch.action.Planning;
import dev.stanch.action.Refusal;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionJson;
import dev.stanch.detection.Normalization;
import dev.stanch.detection.Target;
import dev.stanch.guardrail.Activity;
import dev.stanch.guardrail.Pause;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.History;
import dev.stanch.playbook.OnApprovalTimeout;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The ledger: PostgreSQL tables for detections, actions, the hash-chained audit log and the outbox
 * — the only record of what Stanch saw and did. Plain JDBC over the {@link DataSource} it is given;
 * it runs its own migrations ({@link #migrate}).
 *
 * <p>Each method is one transaction; inside {@link #inTransaction} they join the caller's, so that
 * storing a detection, counting its history and recording its action commit together or not at
 * all (the Kafka offset is committed after). Thread-safe.
 *
 * <p>Every transition is atomic: the action's row is locked, the move checked against {@link
 * ActionStatus} and the rules the ledger enforces itself (who may approve, who may start and finish
 * an apply, under which lease), and the new status, its audit row and its outbox row are written in
 * one transaction. Audit rows are appended under a lock on the chain's head row (see {@link
 * #verify()} and {@code V1__ledger.sql}), so the chain never forks and its seq has no gaps.
 *
 * <p><b>Lock order.</b> Every method takes row locks in this order, and none in another:
 *
 * <ol>
 *   <li>the detection's row ({@link #storeDetection}: a concurrent redelivery of the same detection
 *       waits there, then stops as a duplicate);
 *   <li>one action's row ({@link #createAction} by inserting it, {@link #transition} with {@code
 *       SELECT … FOR UPDATE}, {@link #renewLease}, {@link #retryAfter}, {@link
 *       #countTransientFailure} and {@link #releaseLease} by updating it). {@link #claim} locks
 *       several, but with {@code SKIP LOCKED}: it never waits for one, so it cannot be part of a
 *       deadlock, and it takes no other lock;
 *   <li>the chain head ({@code audit_chain_head}), last, by every append — held to the commit.
 * </ol>
 *
 * So two transitions never deadlock, nor does an intake (detection, then its action, then the head)
 * with a transition or a claim. The head being held to the commit is what a caller of {@link
 * #inTransaction} must mind: a transaction that moves a second action after a first holds the head
 * while it waits for that action's row, and deadlocks with a transaction that holds that row and
 * waits for the head (PostgreSQL then aborts one of them). Move one action per transaction — every
 * caller does — or the actions in one order and none that another transaction may be moving. Reads,
 * {@link #verify()} included, take no locks.
 *
 * <p>Times come from the clock it is given, truncated to microseconds (PostgreSQL's resolution):
 * instances that share a database should have synchronized clocks, and leases should be long
 * against their skew.
 */
public final class Ledger {

    /**
     * How the actors that are Stanch's own components begin ({@code stanch:guardrails}, {@code
     * stanch:executor}, {@code stanch:approval-timeout}): the ledger lets such an actor approve a
     * pending action only as the approval timeout's "approve", and people's names must not begin so.
     */
    public static final String SYSTEM_ACTOR_PREFIX = "stanch:";

    /** The statuses in which an executor is at work on the cluster, under a lease. */
    private static final Set<ActionStatus> IN_PROGRESS = Set.of(ActionStatus.APPLYING, ActionStatus.ROLLING_BACK);

    private static final String ACTION_COLUMNS = """
            a.id, a.detection_id, a.playbook, a.stage, a.occurrence, a.kind, a.namespace, a.pod,
            a.params::text as params, a.approval,
            (extract(epoch from a.approval_timeout) * 1000000)::bigint as approval_timeout_us,
            a.approval_deadline, a.on_approval_timeout,
            (extract(epoch from a.expire_after) * 1000000)::bigint as expire_after_us,
            a.expires_at, a.dry_run, a.status, a.plan is not null as planned, a.refusal, a.refusal_message,
            a.requested_by, a.decided_by, a.decision_reason, a.failure_reason, a.created_at, a.updated_at,
            a.lease_owner, a.lease_until, a.stalls, a.retry_at""";

    private static final String AUDIT_COLUMNS =
            "seq, action_id, at, actor, from_status, to_status, reason, details::text as details, prev_hash, hash";

    private final JdbcClient jdbc;
    private final JdbcClient streaming;
    private final TransactionTemplate transaction;
    private final TransactionTemplate snapshot;
    private final Clock clock;
    private final List<TransitionListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param dataSource the ledger's database, migrated ({@link #migrate})
     * @param clock where times come from
     */
    public Ledger(DataSource dataSource, Clock clock) {
        this.jdbc = JdbcClient.create(dataSource);
        JdbcTemplate template = new JdbcTemplate(dataSource);
        template.setFetchSize(500); // in a transaction, PostgreSQL then streams instead of loading all rows
        this.streaming = JdbcClient.create(template);
        var manager = new DataSourceTransactionManager(dataSource);
        this.transaction = new TransactionTemplate(manager);
        this.snapshot = new TransactionTemplate(manager);
        // verify() reads the chain and its head as of one moment, while others append.
        snapshot.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        snapshot.setReadOnly(true);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * How many actions are in each status, in one grouped count; a status with none is missing.
     * Cheap (one scan of the status index, or of the table), but not free: callers asking often
     * should keep the answer for a while.
     */
    public Map<ActionStatus, Long> countByStatus() {
        Map<ActionStatus, Long> counts = new EnumMap<>(ActionStatus.class);
        jdbc.sql("select status, count(*) as n from actions group by status").query(rs -> {
            long n = rs.getLong("n");
            ActionStatus.fromWireName(rs.getString("status")).ifPresent(status -> counts.put(status, n));
        });
        return counts;
    }

    /**
     * Adds a listener told of every creation and transition this ledger commits from now on (not of
     * those other instances commit): see {@link TransitionListener}.
     */
    public void addTransitionListener(TransitionListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Tells the listeners of a transition once the transaction it is written in commits — the
     * caller's, when inside {@link #inTransaction} — and never when it rolls back.
     */
    private void afterCommit(Action after, @Nullable ActionStatus from) {
        if (listeners.isEmpty()) {
            return;
        }
        Instant detectedAt = after.status() == ActionStatus.APPLIED
                ? jdbc.sql("select time from detections where id = :id")
                        .param("id", after.detectionId())
                        .query((rs, n) -> instant(rs, "time"))
                        .optional()
                        .orElse(null)
                : null;
        Runnable tell = () -> {
            for (TransitionListener listener : listeners) {
                try {
                    listener.committed(after, from, detectedAt);
                } catch (RuntimeException ignored) {
                    // A listener's failure is its own: the transition is committed and stands.
                }
            }
        };
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    tell.run();
                }
            });
        } else {
            tell.run();
        }
    }

    /**
     * Creates or updates the ledger's tables (Flyway, {@code classpath:db/migration}). Best run as a
     * role that owns the tables, with the service connecting as another that only reads and writes
     * rows: the owner can disable the audit log's append-only trigger, the service then cannot.
     */
    public static void migrate(DataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    /** A fresh action id, to plan with before {@link #createAction}. */
    public static UUID newActionId() {
        return UUID.randomUUID();
    }

    /**
     * Runs {@code work} in one transaction: the ledger's methods called inside it join it, and all of
     * it commits or none. A runtime exception from {@code work} rolls it back and is rethrown.
     */
    public <T> T inTransaction(Supplier<T> work) {
        return transaction.execute(status -> work.get());
    }

    // ---------------------------------------------------------------------------------------------
    // Detections and their history

    /**
     * Stores a detection unless one with its id is stored already (a redelivery, or another detector
     * instance reporting the same event).
     *
     * @return true when it was new; false for a duplicate, which changes nothing
     */
    public boolean storeDetection(Detection detection) {
        Map<String, Object> json = DetectionJson.toJsonMap(detection);
        Object connection = json.get("connection");
        int inserted = inTransaction(() -> jdbc.sql("""
                        insert into detections (id, source, rule, severity, time, namespace, pod, container,
                                                connection, fields, received_at)
                        values (:id, :source, :rule, :severity, :time, :namespace, :pod, :container,
                                cast(:connection as jsonb), cast(:fields as jsonb), :receivedAt)
                        on conflict (id) do nothing""")
                .param("id", detection.id())
                .param("source", detection.source().wireName())
                .param("rule", detection.rule())
                .param("severity", detection.severity().wireName())
                .param("time", timestamp(detection.time()))
                .param("namespace", detection.target().namespace())
                .param("pod", detection.target().pod())
                .param("container", detection.target().container())
                .param("connection", connection == null ? null : LedgerJson.write(connection))
                .param("fields", LedgerJson.write(detection.fields()))
                .param("receivedAt", timestamp(now()))
                .update());
        return inserted == 1;
    }

    /**
     * Records that these playbooks matched a stored detection: each counts it as one occurrence for
     * the detection's pod ({@link #history()}). Recording the same detection again changes nothing.
     */
    public void recordMatches(Detection detection, Collection<String> playbooks) {
        inTransaction(() -> {
            for (String playbook : playbooks) {
                jdbc.sql("""
                                insert into detection_matches (detection_id, playbook, namespace, pod, time)
                                values (:id, :playbook, :namespace, :pod, :time)
                                on conflict (playbook, detection_id) do nothing""")
                        .param("id", detection.id())
                        .param("playbook", playbook)
                        .param("namespace", detection.target().namespace())
                        .param("pod", detection.target().pod())
                        .param("time", timestamp(detection.time()))
                        .update();
            }
            return null;
        });
    }

    /** A stored detection; its time is to the microsecond. */
    public Optional<Detection> detection(String id) {
        return jdbc.sql("""
                        select id, source, rule, severity, time, namespace, pod, container,
                               connection::text as connection, fields::text as fields
                        from detections where id = :id""").param("id", id).query((rs, row) -> detection(rs)).optional();
    }

    private static Detection detection(ResultSet rs) throws SQLException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", rs.getString("id"));
        json.put("source", rs.getString("source"));
        json.put("rule", rs.getString("rule"));
        json.put("severity", rs.getString("severity"));
        json.put("time", instant(rs, "time").toString());
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("namespace", rs.getString("namespace"));
        target.put("pod", rs.getString("pod"));
        target.put("container", rs.getString("container"));
        json.put("target", target);
        String connection = rs.getString("connection");
        if (connection != null) {
            json.put("connection", LedgerJson.read(connection));
        }
        json.put("fields", LedgerJson.read(rs.getString("fields")));
        // Read back through Stanch's own schema: the same validation as on the way in.
        return switch (DetectionJson.read(LedgerJson.write(json))) {
            case Normalization.Normalized normalized -> normalized.detection();
            case Normalization.Rejected rejected ->
                throw new IllegalStateException(
                        "detection " + json.get("id") + " in the ledger is invalid: " + rejected.reason());
            case Normalization.Ignored ignored ->
                throw new IllegalStateException("detection " + json.get("id") + " in the ledger was ignored");
        };
    }

    /**
     * The targets' history as the playbooks count it: matching detections of the same playbook and
     * pod (by namespace and name) whose time lies in the window, each detection once. Times are
     * compared to the microsecond, as the ledger stores them.
     */
    public History history() {
        return (playbook, target, from, to, excludingId) -> jdbc.sql("""
                        select count(*) from detection_matches
                        where playbook = :playbook and namespace = :namespace and pod = :pod
                          and time >= :from and time <= :to and detection_id <> :excluding""")
                .param("playbook", playbook)
                .param("namespace", target.namespace())
                .param("pod", target.pod())
                .param("from", timestamp(from))
                .param("to", timestamp(to))
                .param("excluding", excludingId)
                .query(Long.class)
                .single();
    }

    /**
     * What the guardrails count ({@link dev.stanch.guardrail.Gate}), from the actions in the ledger.
     * Call it inside {@link #inTransaction} with the admission it decides, so that the counts and
     * the recorded decision belong to one transaction; see {@link LedgerActivity} for how far two
     * admissions at once may overshoot a limit.
     */
    public Activity activity() {
        return new LedgerActivity(jdbc);
    }

    // ---------------------------------------------------------------------------------------------
    // Actions

    /**
     * Records a new action, planned: its request, its plan (or the planner's refusal), its first
     * audit row and its outbox row, in one transaction. The audit row's details record the request
     * with its approval settings, who requested it, dry-run, and SHA-256 digests (over canonical JSON,
     * see {@link AuditHash}) of the parameters and the plan, or the refusal — as the row stored them
     * ({@link RecordedAction#creationDetails}) — so that an edit of any of them shows in {@link
     * #verify()}. A refused action can then only be blocked.
     */
    public Action createAction(NewAction action) {
        ActionRequest request = action.request();
        Instant now = now();
        return inTransaction(() -> {
            Map<String, Object> plan = null;
            Refusal refusal = null;
            String refusalMessage = null;
            switch (action.planning()) {
                case Planning.Planned planned -> plan = PlanDocument.of(planned.plan());
                case Planning.Refused refused -> {
                    refusal = refused.reason();
                    refusalMessage = refused.message();
                }
            }
            RecordedAction.Columns stored = jdbc.sql("""
                            insert into actions as a (id, detection_id, playbook, stage, occurrence, kind, namespace, pod,
                                params, approval, approval_timeout, on_approval_timeout, expire_after, dry_run,
                                status, plan, refusal, refusal_message, requested_by, created_at, updated_at)
                            values (:id, :detectionId, :playbook, :stage, :occurrence, :kind, :namespace, :pod,
                                cast(:params as jsonb), :approval,
                                cast(:approvalTimeoutUs as bigint) * interval '1 microsecond',
                                :onApprovalTimeout, cast(:expireAfterUs as bigint) * interval '1 microsecond',
                                :dryRun, :status, cast(:plan as jsonb), :refusal, :refusalMessage, :requestedBy,
                                :now, :now)
                            returning """ + " " + RecordedAction.COLUMNS)
                    .param("id", action.id())
                    .param("detectionId", action.detectionId())
                    .param("playbook", request.playbook())
                    .param("stage", request.stage())
                    .param("occurrence", request.occurrence())
                    .param("kind", request.kind().wireName())
                    .param("namespace", request.target().namespace())
                    .param("pod", request.target().pod())
                    .param("params", LedgerJson.write(request.params()))
                    .param("approval", request.approval().wireName())
                    .param("approvalTimeoutUs", micros(request.approvalTimeout()))
                    .param("onApprovalTimeout", request.onApprovalTimeout().wireName())
                    .param("expireAfterUs", micros(request.expireAfter()))
                    .param("dryRun", request.dryRun())
                    .param("status", ActionStatus.PLANNED.wireName())
                    .param("plan", plan == null ? null : LedgerJson.write(plan))
                    .param("refusal", refusal == null ? null : refusal.wireName())
                    .param("refusalMessage", refusalMessage)
                    .param("requestedBy", action.requestedBy())
                    .param("now", timestamp(now))
                    .query((rs, n) -> RecordedAction.Columns.read(rs))
                    .single();

            // From the row as stored (jsonb's text, intervals to the microsecond): what verify() reads.
            Map<String, Object> details = RecordedAction.creationDetails(stored);
            String reason = refusal == null
                    ? "planned by playbook " + request.playbook() + ", stage " + request.stage() + " (occurrence "
                            + request.occurrence() + ")"
                    : "playbook " + request.playbook() + ", stage " + request.stage() + ": the planner refused ("
                            + refusal.wireName() + "): " + refusalMessage;
            Action created = lockAction(action.id());
            AuditEntry entry = AuditChain.append(
                    jdbc, action.id(), now, action.requestedBy(), null, ActionStatus.PLANNED, reason, details);
            Outbox.write(jdbc, created, entry);
            afterCommit(created, null);
            return created;
        });
    }

    /** As {@link #transition(Transition)}, without a lease. */
    public Transitioned transition(
            UUID actionId,
            ActionStatus expectedFrom,
            ActionStatus to,
            String actor,
            String reason,
            Map<String, Object> details) {
        return transition(
                Transition.of(actionId, expectedFrom, to, actor, reason).withDetails(details));
    }

    /**
     * Moves an action from the status the caller read to another, atomically: its row is locked and
     * the move checked, then the new status, its audit row and its outbox row are written in one
     * transaction.
     *
     * <p>Besides the status, a transition sets: on entering pending-approval, the approval deadline
     * (now + the timeout, if the stage has one); on entering approved, rejected or expired, who
     * decided and why; on entering applied, the expiry time (now + expireAfter, if the stage has
     * one); on entering failed, the failure reason. A lease ends with the transition, except that
     * the executor holding it keeps it when it moves the action into applying or rolling-back, renewed
     * to now + {@link Transition#lease()}.
     *
     * @throws ActionNotFound when there is no such action
     * @throws TransitionConflict when the move is not allowed, with nothing written: the action has
     *     moved on since the caller read it (STATUS_CHANGED, whatever else), the state machine has no
     *     such move, a person approves what they requested, an action without a plan
     *     is to be approved, applied or dry-run, an action is approved that needs a person's approval
     *     (planned → approved unless the stage says {@code approval: auto} and it is no dry run;
     *     pending-approval → approved by a {@link #SYSTEM_ACTOR_PREFIX stanch:} actor unless the
     *     stage says {@code onApprovalTimeout: approve} and the deadline has passed), or the move
     *     names a lease — or is one only an executor makes ({@link ActionStatus#needsLease}) — and
     *     the caller does not hold a live one
     */
    public Transitioned transition(Transition move) {
        return inTransaction(() -> {
            Action current = lockAction(move.actionId());
            Instant now = now();
            check(current, move, now);
            ActionStatus to = move.to();
            // The times a move sets go into its audit row too, so that verify() sees an edit of them.
            Map<String, Object> details = new LinkedHashMap<>(move.details());
            Instant approvalDeadline = current.approvalDeadline();
            if (to == ActionStatus.PENDING_APPROVAL && current.approvalTimeout() != null) {
                approvalDeadline = now.plus(current.approvalTimeout());
                details.put(RecordedAction.APPROVAL_DEADLINE, approvalDeadline.toString());
            }
            Instant expiresAt = current.expiresAt();
            if (to == ActionStatus.APPLIED && current.expireAfter() != null) {
                expiresAt = now.plus(current.expireAfter());
                details.put(RecordedAction.EXPIRES_AT, expiresAt.toString());
            }
            boolean decision = to == ActionStatus.APPROVED || to == ActionStatus.REJECTED || to == ActionStatus.EXPIRED;
            // An executor keeps its lease while it works on the cluster, renewed for the work it starts
            // now; any other move ends it, so that whoever holds it learns (LEASE_NOT_HELD) that someone
            // else moved the action.
            boolean keepLease = move.leaseOwner() != null && IN_PROGRESS.contains(to);
            Instant leaseUntil = keepLease ? now.plus(Objects.requireNonNull(move.lease())) : null;
            jdbc.sql("""
                            update actions set status = :to, updated_at = :now,
                                approval_deadline = :approvalDeadline, expires_at = :expiresAt,
                                decided_by = case when :decision then :actor else decided_by end,
                                decision_reason = case when :decision then :reason else decision_reason end,
                                failure_reason = case when :failed then :reason else failure_reason end,
                                lease_owner = case when :keepLease then lease_owner end,
                                lease_until = :leaseUntil,
                                transient_failures = case when :entersPhase then 0 else transient_failures end,
                                stalls = case when :entersPhase then 0 else stalls end,
                                retry_at = null
                            where id = :id""")
                    .param("to", to.wireName())
                    .param("now", timestamp(now))
                    .param("approvalDeadline", timestamp(approvalDeadline))
                    .param("expiresAt", timestamp(expiresAt))
                    .param("decision", decision)
                    .param("actor", move.actor())
                    .param("reason", move.reason())
                    .param("failed", to == ActionStatus.FAILED)
                    .param("keepLease", keepLease)
                    .param("leaseUntil", timestamp(leaseUntil))
                    .param("entersPhase", IN_PROGRESS.contains(to))
                    .param("id", move.actionId())
                    .update();
            AuditEntry entry = AuditChain.append(
                    jdbc, move.actionId(), now, move.actor(), current.status(), to, move.reason(), details);
            Action after = lockAction(move.actionId());
            Outbox.write(jdbc, after, entry);
            afterCommit(after, current.status());
            return new Transitioned(after, entry);
        });
    }

    private static void check(Action current, Transition move, Instant now) {
        ActionStatus from = current.status();
        ActionStatus to = move.to();
        UUID id = current.id();
        // Moved on first: the caller decided on a status that is gone, and whether the move would be
        // allowed from the new one is not what they decided on.
        if (from != move.from()) {
            String whyNot = from.whyNot(to);
            throw new TransitionConflict(
                    id,
                    from,
                    to,
                    TransitionConflict.Reason.STATUS_CHANGED,
                    "action " + id + " is " + from.wireName() + ", not "
                            + move.from().wireName() + " as read: it moved on in the meantime"
                            + (whyNot == null ? "" : "; " + whyNot));
        }
        if (!from.canMoveTo(to)) {
            throw new TransitionConflict(id, from, to, TransitionConflict.Reason.ILLEGAL, from.whyNot(to));
        }
        if (!current.planned()
                && (to == ActionStatus.APPROVED || to == ActionStatus.PENDING_APPROVAL || to == ActionStatus.DRY_RUN)) {
            throw new TransitionConflict(
                    id,
                    from,
                    to,
                    TransitionConflict.Reason.NO_PLAN,
                    "action " + id + " has no plan (the planner refused: "
                            + current.refusal().wireName() + "): it can only be blocked, not " + to.wireName());
        }
        if (from == ActionStatus.PLANNED && to == ActionStatus.APPROVED) {
            // Approved without anyone asked: only what the stage lets run by itself, and never a dry run
            // (which is recorded, never applied) — whatever the caller decided.
            if (current.dryRun()) {
                throw new TransitionConflict(
                        id,
                        from,
                        to,
                        TransitionConflict.Reason.APPROVAL_REQUIRED,
                        "action " + id + " is a dry run of playbook " + current.playbook()
                                + ": it is recorded, never approved");
            }
            if (current.approval() != Approval.AUTO) {
                throw new TransitionConflict(
                        id,
                        from,
                        to,
                        TransitionConflict.Reason.APPROVAL_REQUIRED,
                        "action " + id + " needs a person's approval (stage " + current.stage() + " of playbook "
                                + current.playbook() + " says approval: required): it goes to pending-approval,"
                                + " not straight to approved");
            }
        }
        if (from == ActionStatus.PENDING_APPROVAL
                && to == ActionStatus.APPROVED
                && move.actor().startsWith(SYSTEM_ACTOR_PREFIX)) {
            approvalBySilence(current, move, now);
        }
        if (from == ActionStatus.PENDING_APPROVAL
                && to == ActionStatus.APPROVED
                && move.actor().equals(current.requestedBy())) {
            throw new TransitionConflict(
                    id,
                    from,
                    to,
                    TransitionConflict.Reason.SELF_APPROVAL,
                    move.actor() + " requested action " + id + " and cannot approve it: someone else must");
        }
        if (move.leaseOwner() == null && from.needsLease(to)) {
            throw new TransitionConflict(
                    id,
                    from,
                    to,
                    TransitionConflict.Reason.LEASE_NOT_HELD,
                    from.wireName() + " → " + to.wireName() + " is an executor's move, made under its lease on action "
                            + id + ": " + move.actor() + " named none");
        }
        if (move.leaseOwner() != null) {
            Action.Lease lease = current.lease();
            if (lease == null || !lease.owner().equals(move.leaseOwner())) {
                throw new TransitionConflict(
                        id,
                        from,
                        to,
                        TransitionConflict.Reason.LEASE_NOT_HELD,
                        move.leaseOwner() + " does not hold the lease on action " + id
                                + (lease == null ? "" : " (" + lease.owner() + " does)"));
            }
            if (!lease.until().isAfter(now)) {
                // Nobody may have taken it over yet, but anyone may at any moment: a runner that overran
                // its lease must stop, not race whoever claims the action next.
                throw new TransitionConflict(
                        id,
                        from,
                        to,
                        TransitionConflict.Reason.LEASE_NOT_HELD,
                        move.leaseOwner() + "'s lease on action " + id + " ran out at " + lease.until());
            }
        }
    }

    /**
     * A pending action approved by one of Stanch's own components: only the approval timeout's
     * "approve" — the stage says {@code onApprovalTimeout: approve} and the deadline has passed. Any
     * other approval is a person's.
     */
    private static void approvalBySilence(Action current, Transition move, Instant now) {
        UUID id = current.id();
        String why = null;
        if (current.onApprovalTimeout() != OnApprovalTimeout.APPROVE) {
            why = "its stage says onApprovalTimeout: "
                    + current.onApprovalTimeout().wireName() + ", so only a person approves it";
        } else if (current.approvalDeadline() == null) {
            why = "it has no approval deadline, so only a person approves it";
        } else if (now.isBefore(current.approvalDeadline())) {
            why = "it is approved by silence only once its approval deadline, " + current.approvalDeadline()
                    + ", has passed";
        }
        if (why != null) {
            throw new TransitionConflict(
                    id,
                    current.status(),
                    move.to(),
                    TransitionConflict.Reason.APPROVAL_REQUIRED,
                    move.actor() + " is not a person and cannot approve action " + id + ": " + why);
        }
    }

    /** The action's row, locked until the transaction ends. */
    private Action lockAction(UUID id) {
        return jdbc.sql("select " + ACTION_COLUMNS + " from actions a where a.id = :id for update")
                .param("id", id)
                .query((rs, row) -> action(rs))
                .optional()
                .orElseThrow(() -> new ActionNotFound(id));
    }

    /**
     * One action as it is now, without its plan and trail.
     *
     * @throws ActionNotFound when there is no such action
     */
    public Action action(UUID id) {
        return jdbc.sql("select " + ACTION_COLUMNS + " from actions a where a.id = :id")
                .param("id", id)
                .query((rs, row) -> action(rs))
                .optional()
                .orElseThrow(() -> new ActionNotFound(id));
    }

    /** An action with its plan and its audit trail, as of one moment. */
    public Optional<ActionDetail> find(UUID id) {
        return Optional.ofNullable(snapshot.execute(status -> {
            var row = jdbc.sql("select " + ACTION_COLUMNS + ", a.plan::text as plan from actions a where a.id = :id")
                    .param("id", id)
                    .query((rs, n) -> {
                        String plan = rs.getString("plan");
                        return new ActionDetail(
                                action(rs), plan == null ? null : LedgerJson.readObject(plan), List.of());
                    })
                    .optional();
            if (row.isEmpty()) {
                return null;
            }
            List<AuditEntry> trail = jdbc.sql(
                            "select " + AUDIT_COLUMNS + " from audit_log where action_id = :id order by seq")
                    .param("id", id)
                    .query((rs, n) -> auditEntry(rs))
                    .list();
            return new ActionDetail(row.get().action(), row.get().plan(), trail);
        }));
    }

    /**
     * The plan of an action as the ledger recorded it, read back into the {@link ActionPlan} that was
     * planned: what an executor applies, verifies and rolls back — after a restart, or on another
     * instance — with nothing but the ledger. Empty when the planner refused.
     *
     * @throws ActionNotFound when there is no such action
     * @throws IllegalStateException when the stored plan cannot be read (its message names the field)
     */
    public Optional<ActionPlan> plan(UUID id) {
        record Stored(@Nullable String plan, @Nullable String recorded) {}
        Stored stored = jdbc.sql("""
                        select a.plan::text as plan,
                               (select l.details ->> 'planSha256' from audit_log l
                                where l.action_id = a.id and l.from_status is null) as recorded
                        from actions a where a.id = :id""")
                .param("id", id)
                .query((rs, n) -> new Stored(rs.getString("plan"), rs.getString("recorded")))
                .optional()
                .orElseThrow(() -> new ActionNotFound(id));
        if (stored.plan() != null && !RecordedAction.digest(stored.plan()).equals(stored.recorded())) {
            throw new PlanTampered(
                    id,
                    "the plan of action " + id + " is not the one recorded when it was created (SHA-256 "
                            + stored.recorded() + "): it was edited outside Stanch, which acts on no such plan");
        }
        return Optional.ofNullable(stored.plan()).map(plan -> {
            try {
                return PlanDocument.read(LedgerJson.readObject(plan));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(
                        "the plan of action " + id + " in the ledger is unreadable: " + e.getMessage(), e);
            }
        });
    }

    /** One page of actions, newest first (by creation time, then id). */
    public ActionPage list(ActionQuery query) {
        StringBuilder sql = new StringBuilder("select " + ACTION_COLUMNS + " from actions a where true");
        Map<String, Object> params = new LinkedHashMap<>();
        if (!query.statuses().isEmpty()) {
            sql.append(" and a.status in (:statuses)");
            params.put(
                    "statuses",
                    query.statuses().stream().map(ActionStatus::wireName).toList());
        }
        if (query.kind() != null) {
            sql.append(" and a.kind = :kind");
            params.put("kind", query.kind().wireName());
        }
        if (query.namespace() != null) {
            sql.append(" and a.namespace = :namespace");
            params.put("namespace", query.namespace());
        }
        if (query.playbook() != null) {
            sql.append(" and a.playbook = :playbook");
            params.put("playbook", query.playbook());
        }
        if (query.createdFrom() != null) {
            sql.append(" and a.created_at >= :createdFrom");
            params.put("createdFrom", timestamp(query.createdFrom()));
        }
        if (query.createdBefore() != null) {
            sql.append(" and a.created_at < :createdBefore");
            params.put("createdBefore", timestamp(query.createdBefore()));
        }
        if (query.after() != null) {
            Cursor cursor = Cursor.parse(query.after());
            sql.append(" and (a.created_at, a.id) < (:cursorCreated, :cursorId)");
            params.put("cursorCreated", timestamp(cursor.createdAt()));
            params.put("cursorId", cursor.id());
        }
        sql.append(" order by a.created_at desc, a.id desc limit :limit");
        params.put("limit", query.limit() + 1);
        List<Action> rows = jdbc.sql(sql.toString())
                .params(params)
                .query((rs, n) -> action(rs))
                .list();
        if (rows.size() <= query.limit()) {
            return new ActionPage(rows, null);
        }
        List<Action> page = rows.subList(0, query.limit());
        Action last = page.getLast();
        return new ActionPage(page, new Cursor(last.createdAt(), last.id()).format());
    }

    /** Where a page ended: the last action's creation time and id, opaque to callers. */
    private record Cursor(Instant createdAt, UUID id) {
        String format() {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((micros + "/" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor parse(String text) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("/", 2);
                return new Cursor(
                        Instant.EPOCH.plus(Long.parseLong(parts[0]), ChronoUnit.MICROS), UUID.fromString(parts[1]));
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("not a cursor of this list: " + text);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Work for executors: claims and leases

    /**
     * Claims up to {@code limit} actions that are due, for {@code owner}, for {@code lease}: no other
     * claim returns them until the lease runs out (or is released, or the action leaves
     * applying/rolling-back). Concurrent claims, from this instance or another sharing the database,
     * never return the same action: rows are taken with {@code FOR UPDATE SKIP LOCKED}.
     *
     * <p>An action is due when it is in one of {@code statuses} and nobody holds a lease on it, and
     * — for the statuses that wait for a time — that time has come: pending-approval at its approval
     * deadline (never, without one), applied at its expiry time (never, without one). Actions left
     * applying or rolling-back by an executor whose lease ran out are due too: that is how crash
     * recovery takes them over ({@link #stalled()} lists them), counting each such takeover in
     * {@link Action#stalls()}; one that an executor gave back for a backoff ({@link #retryAfter}) is
     * due at its retry time. Oldest transition first.
     *
     * <p>One query, a branch per status, each an index range on its own partial index (those of
     * {@code V1__ledger.sql}: {@code actions_approved}, {@code actions_approval_due}, {@code
     * actions_expiry_due}, {@code actions_in_progress}) locking at most {@code limit} rows: the
     * statuses that wait for a time would otherwise be read whole, every applied action kept
     * without an expiry included, on every claim. Of what the branches lock, the oldest {@code
     * limit} are claimed; the others are let go when the claim commits.
     */
    public List<Action> claim(String owner, Set<ActionStatus> statuses, Duration lease, int limit) {
        return claim(owner, statuses, lease, limit, null);
    }

    /**
     * Claims one action, as {@link #claim(String, Set, Duration, int)} would if it were the only one
     * due: for tests that drive an action along its executor's moves.
     */
    Optional<Action> claim(UUID actionId, String owner, Duration lease) {
        return claim(owner, EnumSet.allOf(ActionStatus.class), lease, 1, actionId).stream()
                .findFirst();
    }

    private List<Action> claim(
            String owner, Set<ActionStatus> statuses, Duration lease, int limit, @Nullable UUID only) {
        Text.requireText("owner", owner);
        if (statuses.isEmpty() || limit < 1 || lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a claim needs statuses, a positive lease and a limit ≥ 1");
        }
        Instant now = now();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("now", timestamp(now));
        params.put("limit", limit);
        params.put("owner", owner);
        params.put("until", timestamp(now.plus(lease)));
        if (only != null) {
            params.put("only", only);
        }
        return inTransaction(() -> jdbc.sql(claimSql(statuses, only != null))
                        .params(params)
                        .query((rs, n) -> action(rs))
                        .list())
                .stream()
                .sorted(Comparator.comparing(Action::updatedAt).thenComparing(Action::id))
                .toList();
    }

    /**
     * The claim as one statement: a branch per status, each locking its oldest due rows, then the
     * oldest of all of them leased. A taken-over action in applying or rolling-back whose lease ran
     * out while someone held it (an owner is set) counts a stall.
     */
    static String claimSql(Set<ActionStatus> statuses, boolean onlyOne) {
        List<String> branches = new ArrayList<>();
        for (ActionStatus status : EnumSet.copyOf(statuses)) {
            // The status is written into the statement, not bound: PostgreSQL picks a partial index
            // only when it can prove the index's predicate from the query's own text.
            String due = switch (status) {
                case PENDING_APPROVAL -> " and approval_deadline <= :now";
                case APPLIED -> " and expires_at <= :now";
                case APPLYING, ROLLING_BACK -> " and (retry_at is null or retry_at <= :now)";
                default -> "";
            };
            branches.add("b" + branches.size() + " as (select id, updated_at from actions where status = '"
                    + status.wireName() + "'" + due + " and (lease_until is null or lease_until <= :now)"
                    + (onlyOne ? " and id = :only" : "")
                    + " order by updated_at, id limit :limit for update skip locked)");
        }
        String candidates = String.join(
                " union all ",
                java.util.stream.IntStream.range(0, branches.size())
                        .mapToObj(i -> "select id, updated_at from b" + i)
                        .toList());
        return "with " + String.join(", ", branches) + ", due as (select id from (" + candidates
                + ") candidates order by updated_at, id limit :limit)\n" + """
                update actions a set lease_owner = :owner, lease_until = :until, retry_at = null,
                    stalls = case when a.status in ('applying', 'rolling-back') and a.lease_owner is not null
                                  then a.stalls + 1 else a.stalls end
                from due where a.id = due.id
                returning""" + " " + ACTION_COLUMNS;
    }

    /**
     * Extends the lease {@code owner} holds on an action, to now + {@code lease}: what an executor
     * does before each piece of work on the action, so that it never starts one on a lease that is
     * about to run out — or has run out, and may belong to another executor any moment.
     *
     * @return false when it holds no live lease: another executor took the action over, the action
     *     moved on, or the lease ran out (then the executor must stop: others may claim it)
     */
    public boolean renewLease(UUID actionId, String owner, Duration lease) {
        Instant now = now();
        return inTransaction(() -> jdbc.sql("""
                                update actions set lease_until = :until
                                where id = :id and lease_owner = :owner and lease_until > :now""")
                        .param("until", timestamp(now.plus(lease)))
                        .param("id", actionId)
                        .param("owner", owner)
                        .param("now", timestamp(now))
                        .update())
                == 1;
    }

    /**
     * Counts a transient failure of the phase (applying or rolling back) that {@code owner} is
     * working on under its lease; the count starts again on entering applying or rolling-back.
     *
     * @return the count, this failure included; empty when {@code owner} holds no lease on the action
     *     in applying or rolling-back (another executor took it over)
     */
    public OptionalInt countTransientFailure(UUID actionId, String owner) {
        return inTransaction(() -> jdbc.sql("""
                                update actions set transient_failures = transient_failures + 1
                                where id = :id and lease_owner = :owner and status in ('applying', 'rolling-back')
                                returning transient_failures""")
                        .param("id", actionId)
                        .param("owner", owner)
                        .query(Integer.class)
                        .optional())
                .map(OptionalInt::of)
                .orElse(OptionalInt.empty());
    }

    /**
     * Gives back the lease {@code owner} holds on an action in applying or rolling-back, and leaves
     * the action due again — for any executor — {@code after} from now: the backoff after a transient
     * failure. Unlike a lease left to run out, this is no stall: the next claim does not count it.
     *
     * @return false when {@code owner} holds no live lease on the action in applying or rolling-back
     */
    public boolean retryAfter(UUID actionId, String owner, Duration after) {
        Instant now = now();
        return inTransaction(() -> jdbc.sql("""
                                update actions set lease_owner = null, lease_until = null, retry_at = :at
                                where id = :id and lease_owner = :owner and lease_until > :now
                                  and status in ('applying', 'rolling-back')""")
                        .param("at", timestamp(now.plus(after)))
                        .param("id", actionId)
                        .param("owner", owner)
                        .param("now", timestamp(now))
                        .update())
                == 1;
    }

    /** Gives up the lease {@code owner} holds on an action; false when it held none. */
    public boolean releaseLease(UUID actionId, String owner) {
        return inTransaction(() -> jdbc.sql("update actions set lease_owner = null, lease_until = null"
                                + " where id = :id and lease_owner = :owner")
                        .param("id", actionId)
                        .param("owner", owner)
                        .update())
                == 1;
    }

    /**
     * Actions left applying or rolling-back whose executor's lease ran out (or that never had one):
     * an executor stopped in the middle. Recovery claims them ({@link #claim}) and reconciles them
     * against the cluster.
     */
    public List<Action> stalled() {
        return jdbc.sql("select " + ACTION_COLUMNS + """
                         from actions a
                        where a.status in ('applying', 'rolling-back')
                          and (a.lease_until is null or a.lease_until <= :now)
                          and (a.retry_at is null or a.retry_at <= :now)
                        order by a.updated_at, a.id""")
                .param("now", timestamp(now()))
                .query((rs, n) -> action(rs))
                .list();
    }

    // ---------------------------------------------------------------------------------------------
    // The pause switch

    /**
     * Pauses Stanch: from now on every planned action is blocked (rule {@code paused}), by every
     * instance that shares this database, until someone resumes. Logged in the control log. When
     * Stanch is paused already, the pause in force stays as it is and is returned.
     *
     * @return the pause in force
     */
    public Pause pause(String by, String reason) {
        Text.requireText("by", by);
        Text.requireText("reason", reason);
        Instant now = now();
        return inTransaction(() -> Control.pause(jdbc, now, by, reason));
    }

    /**
     * Resumes: planned actions are admitted again. Logged in the control log.
     *
     * @return false when Stanch was not paused (nothing changed, nothing logged)
     */
    public boolean resume(String by, String reason) {
        Text.requireText("by", by);
        Text.requireText("reason", reason);
        Instant now = now();
        return inTransaction(() -> Control.resume(jdbc, now, by, reason));
    }

    /** The pause in force, if Stanch is paused. */
    public Optional<Pause> paused() {
        return Control.paused(jdbc);
    }

    /** The latest changes of the pause switch, newest first. */
    public List<ControlEvent> controlLog(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
        return Control.log(jdbc, limit);
    }

    // ---------------------------------------------------------------------------------------------
    // The audit chain and the outbox

    /**
     * Walks the whole audit chain, oldest first, and reports every row that was edited, deleted or
     * inserted behind the ledger's back — each with its seq and what is wrong — every row that does
     * not move its action on from where the action's previous row left it, and every action whose
     * row does not say what its audit rows recorded: no creation row, a status that is not its last
     * row's, a plan, parameters, approval settings, requester, dry-run, deadline, expiry, decision or
     * failure reason that differs from the row that recorded it ({@link RecordedAction}). Each
     * finding names the row and the action. Reads one consistent snapshot; others may append
     * meanwhile.
     *
     * <p>What it cannot see: someone who can disable the triggers and rewrites a row together with
     * every hash after it and the chain head. The chain needs no secret, so it proves only that
     * nobody changed it without recomputing it; the outbox publishes every row's hash to Kafka,
     * where a copy outside the database anchors it.
     */
    public AuditVerification verify() {
        return Objects.requireNonNull(snapshot.execute(status -> AuditChain.verify(jdbc, streaming)));
    }

    /** Messages not yet published, oldest first. */
    public List<OutboxMessage> unpublished(int limit) {
        return jdbc.sql("""
                        select id, action_id, audit_seq, payload::text as payload, created_at from outbox
                        where published_at is null order by id limit :limit""")
                .param("limit", limit)
                .query((rs, n) -> new OutboxMessage(
                        rs.getLong("id"),
                        rs.getObject("action_id", UUID.class),
                        rs.getLong("audit_seq"),
                        LedgerJson.readObject(rs.getString("payload")),
                        instant(rs, "created_at")))
                .list();
    }

    /**
     * One round of the outbox relay, safe to run on every instance at once: claims up to {@code
     * limit} unpublished messages, oldest first, hands them to {@code publisher} and marks published
     * the ones it reports acknowledged, all in one transaction. Rows another instance is publishing
     * are skipped ({@code FOR UPDATE SKIP LOCKED}), and so are the later rows of their actions, so
     * that each action's messages are sent in order ({@link OutboxClaims}). The transaction (a
     * connection and the claimed rows' locks) is held while the publisher waits for the broker.
     *
     * @return how many messages were marked published
     */
    public int publishOutbox(int limit, OutboxPublisher publisher) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
        return inTransaction(() -> OutboxClaims.publish(jdbc, limit, publisher, () -> timestamp(now())));
    }

    /** Marks messages as published (once Kafka acknowledged them). */
    public void markPublished(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        inTransaction(
                () -> jdbc.sql("update outbox set published_at = :now where id in (:ids) and published_at is null")
                        .param("now", timestamp(now()))
                        .param("ids", List.copyOf(ids))
                        .update());
    }

    // ---------------------------------------------------------------------------------------------
    // Rows and values

    static Action action(ResultSet rs) throws SQLException {
        Long approvalTimeout = (Long) rs.getObject("approval_timeout_us");
        Long expireAfter = (Long) rs.getObject("expire_after_us");
        String refusal = rs.getString("refusal");
        String leaseOwner = rs.getString("lease_owner");
        return new Action(
                rs.getObject("id", UUID.class),
                rs.getString("detection_id"),
                rs.getString("playbook"),
                rs.getString("stage"),
                rs.getLong("occurrence"),
                ActionKind.fromWireName(rs.getString("kind")).orElseThrow(),
                new Target(rs.getString("namespace"), rs.getString("pod"), null),
                LedgerJson.readObject(rs.getString("params")),
                Approval.valueOf(rs.getString("approval").toUpperCase(java.util.Locale.ROOT)),
                approvalTimeout == null ? null : Duration.of(approvalTimeout, ChronoUnit.MICROS),
                nullableInstant(rs, "approval_deadline"),
                OnApprovalTimeout.valueOf(rs.getString("on_approval_timeout").toUpperCase(java.util.Locale.ROOT)),
                expireAfter == null ? null : Duration.of(expireAfter, ChronoUnit.MICROS),
                nullableInstant(rs, "expires_at"),
                rs.getBoolean("dry_run"),
                ActionStatus.fromWireName(rs.getString("status")).orElseThrow(),
                rs.getBoolean("planned"),
                refusal == null ? null : refusal(refusal),
                rs.getString("refusal_message"),
                rs.getString("requested_by"),
                rs.getString("decided_by"),
                rs.getString("decision_reason"),
                rs.getString("failure_reason"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                leaseOwner == null ? null : new Action.Lease(leaseOwner, instant(rs, "lease_until")),
                rs.getInt("stalls"),
                nullableInstant(rs, "retry_at"));
    }

    static AuditEntry auditEntry(ResultSet rs) throws SQLException {
        String from = rs.getString("from_status");
        return new AuditEntry(
                rs.getLong("seq"),
                rs.getObject("action_id", UUID.class),
                instant(rs, "at"),
                rs.getString("actor"),
                from == null ? null : ActionStatus.fromWireName(from).orElseThrow(),
                ActionStatus.fromWireName(rs.getString("to_status")).orElseThrow(),
                rs.getString("reason"),
                LedgerJson.readObject(rs.getString("details")),
                rs.getString("prev_hash"),
                rs.getString("hash"));
    }

    private static Refusal refusal(String wireName) {
        for (Refusal refusal : Refusal.values()) {
            if (refusal.wireName().equals(wireName)) {
                return refusal;
            }
        }
        throw new IllegalStateException("unknown refusal in the ledger: " + wireName);
    }

    /** The ledger's time: its clock's, to the microsecond, as it stores times. */
    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** A time as the ledger binds it: UTC, truncated to the microsecond (not rounded by the driver). */
    static @Nullable OffsetDateTime timestamp(@Nullable Instant instant) {
        return instant == null
                ? null
                : OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    static @Nullable Instant nullableInstant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static @Nullable Long micros(@Nullable Duration duration) {
        return duration == null ? null : duration.toNanos() / 1000;
    }
}
