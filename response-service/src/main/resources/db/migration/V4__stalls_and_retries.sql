-- Crash retries and transient-failure backoffs, told apart (docs/architecture.md, "Workflow").
--
-- stalls: how often, in the phase the action is in (applying or rolling-back), a claim took it from an
-- executor whose lease ran out while it held it: a runner that stopped, crashed or overran its lease in
-- the middle of the work. The workflow fails the action once this passes its limit instead of taking it
-- up for ever (an action that crashes its runner every time would otherwise loop). Reset on entering
-- applying or rolling-back, as transient_failures is.
alter table actions add column stalls integer not null default 0 check (stalls >= 0);

-- retry_at: an executor that met a transient failure gives its lease back and leaves the action due
-- again at this time. Kept apart from the lease so that a claim can tell a backoff (no lease owner) from
-- an executor that stopped (a lease that ran out while someone held it). Cleared by every transition.
alter table actions add column retry_at timestamptz;
