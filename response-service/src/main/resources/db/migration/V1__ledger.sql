-- Stanch's ledger: the one source of truth for what Stanch saw and did (docs/architecture.md, "Ledger").
-- Written only by dev.stanch.ledger.Ledger, which runs this migration itself (Flyway).
--
-- Times are timestamptz to the microsecond, PostgreSQL's resolution: the ledger truncates finer times
-- (Falco's nanoseconds) before it writes them, so that what it hashes is exactly what it stores.
-- Enumerations are stored by their wire names (lower case, dashes), checked here so that a value
-- written by hand cannot surprise the code that reads it; a new action kind needs a migration.

-- A detection is stored once: redelivered events (Kafka delivers at least once) stop at the primary key.
create table detections (
    id          text primary key,        -- the detector's event id, or a hash of the canonical payload
    source      text not null check (source in ('falco', 'tetragon', 'kubearmor', 'cloudevents')),
    rule        text not null,
    severity    text not null check (severity in ('critical', 'high', 'medium', 'low', 'info')),
    time        timestamptz not null,    -- when the detector saw it
    namespace   text not null,
    pod         text not null,
    container   text,
    connection  jsonb,                   -- {direction, protocol, peerIp, peerPort, localIp, localPort}
    fields      jsonb not null,          -- the detector's remaining fields
    received_at timestamptz not null     -- when Stanch stored it
);

-- One row per playbook whose match held for a detection: the occurrences a graduated playbook counts
-- (dev.stanch.playbook.History). Target and time are copies of the detection's, so that the count reads
-- one index and no join.
create table detection_matches (
    detection_id text not null references detections (id),
    playbook     text not null,
    namespace    text not null,
    pod          text not null,
    time         timestamptz not null,
    primary key (playbook, detection_id) -- a redelivered detection counts once
);
create index detection_matches_history on detection_matches (playbook, namespace, pod, time);

-- One row per action: the playbook stage's request, the plan (or the planner's refusal), where it is in
-- the state machine (ActionStatus), and the lease of the executor working on it.
create table actions (
    id                  uuid primary key,  -- also in the names and labels of what the action creates
    detection_id        text not null references detections (id),
    playbook            text not null,
    stage               text not null,
    occurrence          bigint not null check (occurrence >= 1),
    kind                text not null check (kind in ('block-connection', 'revoke-token', 'quarantine-pod')),
    namespace           text not null,
    pod                 text not null,
    params              jsonb not null,    -- as resolved for the stage
    approval            text not null check (approval in ('auto', 'required')),
    approval_timeout    interval,
    approval_deadline   timestamptz,       -- set on entering pending-approval, when there is a timeout
    on_approval_timeout text not null check (on_approval_timeout in ('reject', 'approve')),
    expire_after        interval,
    expires_at          timestamptz,       -- set on entering applied, when the stage expires
    dry_run             boolean not null,
    status              text not null check (status in ('planned', 'blocked', 'dry-run', 'pending-approval',
                            'approved', 'applying', 'applied', 'failed', 'rejected', 'expired',
                            'rolling-back', 'rolled-back')),
    plan                jsonb,             -- dev.stanch.action.PlanDocument; null when the planner refused
    refusal             text check (refusal in ('not-found', 'protected', 'invalid', 'unsupported',
                            'ineffective', 'already-in-effect', 'limit')),
    refusal_message     text,
    requested_by        text not null,
    decided_by          text,              -- who approved, rejected or let it expire
    decision_reason     text,
    failure_reason      text,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,  -- the last transition
    lease_owner         text,              -- the executor working on it, until lease_until
    lease_until         timestamptz,
    check ((plan is null) <> (refusal is null)),
    check ((refusal is null) = (refusal_message is null)),
    check ((lease_owner is null) = (lease_until is null))
);
-- Lists: newest first (keyset on created_at, id), filtered by one of these.
create index actions_created on actions (created_at desc, id desc);
create index actions_status on actions (status, created_at desc, id desc);
create index actions_namespace on actions (namespace, created_at desc, id desc);
create index actions_playbook on actions (playbook, created_at desc, id desc);
create index actions_kind on actions (kind, created_at desc, id desc);
create index actions_detection on actions (detection_id);
-- Work that falls due (Ledger.claim, oldest transition first): approved actions to apply, approvals that
-- time out, applied actions that expire, work left in progress.
create index actions_approved on actions (updated_at, id) where status = 'approved';
create index actions_approval_due on actions (approval_deadline) where status = 'pending-approval';
create index actions_expiry_due on actions (expires_at) where status = 'applied';
create index actions_in_progress on actions (lease_until) where status in ('applying', 'rolling-back');

-- One row per transition, the action's creation included. Hash-chained: each row's hash is SHA-256 over
-- its canonical form, which includes the previous row's hash (dev.stanch.ledger.AuditHash documents the
-- form). seq counts 1, 2, 3 … without gaps, because it is taken from audit_chain_head in the appending
-- transaction (a sequence would leave a gap for every rolled-back transition, and a gap is how a deleted
-- row shows).
create table audit_log (
    seq         bigint primary key check (seq >= 1),
    action_id   uuid not null references actions (id),
    at          timestamptz not null,
    actor       text not null,
    from_status text,                  -- null on the row that creates the action
    to_status   text not null,
    reason      text not null,
    details     jsonb not null,
    prev_hash   text not null,
    hash        text not null
);
create index audit_log_action on audit_log (action_id, seq);

-- Append-only: no UPDATE, DELETE or TRUNCATE. Changing a row takes disabling the trigger, which only the
-- table's owner or a superuser can (so run the migrations as an owner role and the service as a role
-- that owns none of these tables), and verify() then names the row.
create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
        using errcode = 'restrict_violation';
end
$$;
create trigger audit_log_no_update_or_delete before update or delete on audit_log
    for each row execute function audit_log_is_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_is_append_only();

-- The end of the chain, in one row. Appending locks it (SELECT … FOR UPDATE): appends are serialized and
-- the chain never forks; the next seq and the previous hash come from it; and verify() compares it with
-- the last row, so that deleting the newest rows shows too. It may only move forward by one, onto the
-- row just appended, and never be deleted.
create table audit_chain_head (
    singleton boolean primary key default true check (singleton),
    seq       bigint not null,          -- 0 before the first row
    hash      text not null             -- the genesis value before the first row: 64 zeros
);
insert into audit_chain_head (seq, hash) values (0, repeat('0', 64));

create function audit_chain_head_moves_forward() returns trigger language plpgsql as $$
begin
    if tg_op <> 'UPDATE' then
        raise exception 'audit_chain_head: % is not allowed', tg_op using errcode = 'restrict_violation';
    end if;
    if new.seq <> old.seq + 1
            or not exists (select 1 from audit_log where seq = new.seq and hash = new.hash) then
        raise exception 'audit_chain_head moves only onto the audit_log row just appended'
            using errcode = 'restrict_violation';
    end if;
    return new;
end
$$;
create trigger audit_chain_head_moves_forward before insert or update or delete on audit_chain_head
    for each row execute function audit_chain_head_moves_forward();
create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
    for each statement execute function audit_log_is_append_only();

-- One row per transition, written in the transition's transaction: what a publisher sends to Kafka
-- "stanch.actions" (a CloudEvent), at least once, marking published_at. Nothing is published that did
-- not happen, and nothing that happened goes unpublished.
create table outbox (
    id           bigserial primary key,
    action_id    uuid not null references actions (id),
    audit_seq    bigint not null unique references audit_log (seq),
    payload      jsonb not null,
    created_at   timestamptz not null,
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
