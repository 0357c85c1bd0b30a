-- Transient Kubernetes failures of the phase an executor is in (applying or rolling back): the
-- workflow retries an action with a backoff until this reaches its limit, then marks it failed. Reset
-- on entering applying or rolling-back, so that a rollback gets its own retries after a failed apply.
alter table actions add column transient_failures integer not null default 0 check (transient_failures >= 0);
