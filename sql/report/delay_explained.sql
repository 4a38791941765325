-- For one delay (goroutine g waited from start_ns to end_ns): what executed
-- on every proc meanwhile, clipped to the wait. One row per (proc, goroutine),
-- longest first; syscall_ns is the part spent in syscalls while holding the proc.
-- Reads why_runs.sql's table (the executions during the explained waits).
select
    r.p,
    r.g,
    count(*) as runs,
    sum(least(r.end_time_ns, {{end_ns}}) - greatest(r.start_time_ns, {{start_ns}})) as overlap_ns,
    coalesce(sum(least(r.end_time_ns, {{end_ns}}) - greatest(r.start_time_ns, {{start_ns}}))
        filter (where r.state = 'syscall'), 0) as syscall_ns,
    stack_funcs(arg_max(r.stack_id, r.duration_ns)) as funcs,
    any_value(r.name) as name
from schedstat_scratch.why_runs r
where r.end_time_ns > {{start_ns}} and r.start_time_ns < {{end_ns}} and r.p is not null and r.g <> {{g}}
group by r.p, r.g
order by overlap_ns desc, r.p, r.g;
