-- Run-queue pressure over the whole trace, for `schedstat doctor`: a sweep
-- over every stretch a goroutine sat runnable and every stretch a proc sat
-- idle (stretches still open at the last event run to it), which splits the
-- trace into segments with a constant number of runnable goroutines and idle
-- procs. Two conditions are measured, each as total time, number of separate
-- stretches, the longest stretch and the time-weighted average of runnable
-- goroutines while it held:
--   saturated: no proc idle and at least {{procs}} goroutines runnable (every
--              P busy and at least one more goroutine waiting per P);
--   idle:      at least one proc idle while at least one goroutine waited.
-- Parameter: procs (the number of procs of the trace).
with b as (
    select
        (select value::bigint from trace_info where key = 'first_time_ns') as t0,
        (select value::bigint from trace_info where key = 'last_time_ns') as t1
),
g_last as (
    select g, arg_max(to_state, end_time_ns) as st, max(end_time_ns) as t from g_transitions group by g
),
p_last as (
    select p, arg_max(to_state, end_time_ns) as st, max(end_time_ns) as t from p_transitions group by p
),
iv as (
    select end_time_ns - duration_ns as s, end_time_ns as e, 1 as r, 0 as i
    from g_transitions where from_state = 'runnable'::state and duration_ns > 0
    union all
    select t, (select t1 from b), 1, 0 from g_last where st = 'runnable'
    union all
    select end_time_ns - duration_ns, end_time_ns, 0, 1
    from p_transitions where from_state = 'idle'::state and duration_ns > 0
    union all
    select t, (select t1 from b), 0, 1 from p_last where st = 'idle'
),
ev as (
    select s as t, r as dr, i as di from iv
    union all
    select e, -r, -i from iv
),
agg as (
    select t, sum(dr) as dr, sum(di) as di from ev group by t
),
seg as (
    -- One sort for all three: the running sums and the next segment start.
    select
        t,
        dr,
        di,
        lead(t) over w as t2,
        sum(dr) over w as runnable,
        sum(di) over w as idle
    from agg
    window w as (order by t rows unbounded preceding)
),
marked as (
    -- 1 saturated, 2 idle, 0 neither; for this segment and for the one
    -- before it (whose counts are these minus this instant's changes, so no
    -- second sort is needed to look back; before the first, nothing ran).
    select
        t, t2, runnable, idle,
        case
            when idle = 0 and runnable >= {{procs}} then 1
            when idle > 0 and runnable > 0 then 2
            else 0
        end as kind,
        case
            when idle - di = 0 and runnable - dr >= {{procs}} then 1
            when idle - di > 0 and runnable - dr > 0 then 2
            else 0
        end as prev_kind
    from seg
    where t2 is not null and t2 > t
),
islands as (
    -- Segments are contiguous (times are distinct), so a stretch ends only
    -- where the kind changes.
    select *, sum(case when kind <> prev_kind then 1 else 0 end)
        over (order by t rows unbounded preceding) as island
    from marked
),
stretches as (
    select kind, island, min(t) as s, max(t2) as e, sum(t2 - t) as ns, sum((t2 - t) * runnable) as runnable_ns,
           max(runnable) as peak_runnable, sum((t2 - t) * idle) as idle_ns
    from islands
    where kind <> 0
    group by kind, island
)
select
    k.kind,
    (select t1 - t0 from b) as span_ns,
    coalesce(sum(s.ns), 0)::bigint as total_ns,
    count(s.ns) as stretches,
    coalesce(sum(s.runnable_ns), 0)::double / nullif(sum(s.ns), 0) as avg_runnable,
    coalesce(sum(s.idle_ns), 0)::double / nullif(sum(s.ns), 0) as avg_idle_procs,
    coalesce(max(s.peak_runnable), 0)::bigint as peak_runnable,
    arg_max(s.s, s.ns) as longest_start_ns,
    arg_max(s.e, s.ns) as longest_end_ns,
    coalesce(max(s.ns), 0)::bigint as longest_ns
from (values ('saturated', 1), ('idle', 2)) k(kind, code)
left join stretches s on s.kind = k.code
group by k.kind
order by k.kind desc;
