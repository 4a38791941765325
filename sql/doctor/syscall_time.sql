-- Syscall time where the trace format hides it, for `schedstat doctor`.
-- Old-format traces (Go 1.21 and earlier) record a syscall that does not
-- block as an instant (syscall → running in 1 ns): its length is folded into
-- the running stretch that follows, until the goroutine's next event. That
-- stretch bounds the syscall from above. Returns how many syscalls were
-- instants and timed, and the running time right after instant syscalls.
with instants as (
    select g, end_time_ns
    from g_transitions
    where from_state = 'syscall'::state and to_state = 'running'::state and duration_ns <= 1
),
after as (
    select r.duration_ns
    from g_transitions r
    join instants i on i.g = r.g and i.end_time_ns = r.end_time_ns - r.duration_ns
    where r.from_state = 'running'::state
)
select
    (select count(*) from instants) as instant_syscalls,
    (select count(*) from g_transitions where from_state = 'syscall'::state and duration_ns > 1) as timed_syscalls,
    (select coalesce(sum(duration_ns), 0)::bigint from after) as after_instant_ns;
