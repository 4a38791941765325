-- How long application goroutines run between handoffs, for `schedstat
-- doctor`'s context-switching: every running stretch (a "run slice") of
-- goroutines that are not the runtime's (the goroutines view's
-- is_system_goroutine) that ended with the goroutine blocking on a channel,
-- select, mutex or sync.Cond: a handoff to another goroutine of the program.
-- Slices ending in network waits, sleeps, syscalls or preemption are the
-- program waiting on the outside world or being time-sliced, not switching
-- by design, and are left out. Grouped by goroutine name (the goroutines
-- view's: the root function of the first stack, as `schedstat goroutines`
-- groups them). Per group: goroutines, slices, median and total slice; the
-- first row (name NULL) is every application goroutine together. Also the
-- busiest of {{buckets}} equal windows of the trace by slices that ended in it.
with b as (
    select
        (select value::bigint from trace_info where key = 'first_time_ns') as t0,
        greatest((select value::bigint from trace_info where key = 'last_time_ns')
                 - (select value::bigint from trace_info where key = 'first_time_ns'), 1) as span
),
app as (
    select g, name from goroutines where not coalesce(is_system_goroutine, false)
),
slices as (
    select a.name, t.g, t.duration_ns, t.end_time_ns
    from g_transitions t
    join app a on a.g = t.g
    where t.from_state = 'running'::state and t.to_state = 'waiting'::state
      and t.reason in ('chan send', 'chan receive', 'select', 'sync', 'sync.(*Cond).Wait')
),
win as (
    select least(((end_time_ns - b.t0) * {{buckets}}) // b.span, {{buckets}} - 1) as bucket, count(*) as n
    from slices cross join b
    group by all
),
busiest as (
    select arg_max(bucket, n order by n, -bucket) as bucket, max(n) as n from win
)
select
    name,
    count(distinct g) as goroutines,
    count(*) as slices,
    quantile_disc(duration_ns, 0.5)::bigint as median_ns,
    sum(duration_ns)::bigint as running_ns,
    (select t0 + (bucket * span) // {{buckets}} from busiest, b) as busiest_start_ns,
    (select t0 + ((bucket + 1) * span) // {{buckets}} from busiest, b) as busiest_end_ns,
    (select n from busiest) as busiest_slices
from slices
group by grouping sets ((), (name))
order by name is not null, slices desc, name;
