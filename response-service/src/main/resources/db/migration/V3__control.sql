-- The pause switch (docs/architecture.md, "Guardrails"; docs/api.md, "Control"): one row that every
-- instance reads when it admits an action, so that a pause set through any instance stops them all.
-- Written only by dev.stanch.ledger.Control, in the same transaction as its control_log row.
create table control_switch (
    singleton boolean primary key default true check (singleton),
    paused    boolean not null,
    paused_by text,                     -- who paused, while paused
    paused_at timestamptz,
    reason    text,                     -- why, in their words
    check (paused = (paused_by is not null)),
    check (paused = (paused_at is not null)),
    check (paused = (reason is not null))
);
insert into control_switch (paused) values (false);

-- Who paused and resumed, when and why: one row per change of the switch, never edited. The same
-- append-only trigger as the audit log (V1): changing a row takes disabling the trigger.
create table control_log (
    seq    bigserial primary key,
    at     timestamptz not null,
    actor  text not null,
    action text not null check (action in ('pause', 'resume')),
    reason text not null
);
create trigger control_log_no_update_or_delete before update or delete on control_log
    for each row execute function audit_log_is_append_only();
create trigger control_log_no_truncate before truncate on control_log
    for each statement execute function audit_log_is_append_only();

-- The switch row is never deleted: without it no instance could tell whether Stanch is paused.
create function control_switch_stays() returns trigger language plpgsql as $$
begin
    raise exception 'control_switch: % is not allowed', tg_op using errcode = 'restrict_violation';
end
$$;
create trigger control_switch_no_insert_or_delete before insert or delete on control_switch
    for each row execute function control_switch_stays();
create trigger control_switch_no_truncate before truncate on control_switch
    for each statement execute function control_switch_stays();
