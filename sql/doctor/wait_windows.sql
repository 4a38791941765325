-- Where waits on locks and channels happen, for `schedstat doctor`'s time
-- ranges (lock-contention, channel-bottleneck): the trace cut into
-- {{buckets}} equal windows (window k runs from t0 + k*span/{{buckets}},
-- integer division), and per blocking stack (function list, leaf first) and
-- window the completed waits that overlap it (count) and the blocked time
-- inside the window (a wait across several windows is split between them), so
-- a window's total divided by its length is the average number of goroutines
-- waiting there. Reasons: sync (mutexes, WaitGroup), chan send/receive, select.
with b as (
    select
        (select value::bigint from trace_info where key = 'first_time_ns') as t0,
        greatest((select value::bigint from trace_info where key = 'last_time_ns')
                 - (select value::bigint from trace_info where key = 'first_time_ns'), 1) as span
),
blocks as (
    select g, end_time_ns as t, stack_id
    from g_transitions
    where to_state = 'waiting'::state and from_state <> 'waiting'::state and reason in ('sync', 'chan send', 'chan receive', 'select')
),
wakes as (
    select g, end_time_ns - duration_ns as t, duration_ns
    from g_transitions
    where from_state = 'waiting'::state and to_state = 'runnable'::state
),
waits as (
    select bl.stack_id, w.t as s, w.t + w.duration_ns as e
    from blocks bl
    join wakes w on w.g = bl.g and w.t = bl.t
),
spread as (
    select
        stack_id, s, e,
        unnest(range(
            least(((s - b.t0) * {{buckets}}) // b.span, {{buckets}} - 1),
            least(((e - b.t0) * {{buckets}}) // b.span, {{buckets}} - 1) + 1
        )) as bucket
    from waits cross join b
),
by_id as (
    select
        stack_id, bucket, count(*) as n,
        sum(least(e, b.t0 + ((bucket + 1) * b.span) // {{buckets}}) - greatest(s, b.t0 + (bucket * b.span) // {{buckets}})) as ns
    from spread cross join b
    group by stack_id, bucket
),
named as (
    select coalesce(stack_funcs(stack_id), []::varchar[]) as funcs, bucket, n, ns from by_id
)
select funcs, bucket, sum(n)::bigint as waits, sum(ns)::bigint as total_ns
from named
group by funcs, bucket
order by array_to_string(funcs, ';'), bucket;
