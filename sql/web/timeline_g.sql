-- What state each goroutine g_from..g_to was in over [lo_ns, hi_ns), for the timeline's goroutine lanes.
-- States: running, runnable, waiting, syscall. Each row is an interval; intervals shorter than bucket_ns (one
-- pixel) are merged per goroutine and bucket into one row spanning the bucket, in the state that took most of the
-- bucket's time (n: intervals merged). busy_ns is the time the row's intervals spend inside the range, so the rows
-- of a goroutine add up to its time in the range. A goroutine's last state (web_g_tails, timeline_prepare.sql)
-- lasts until the trace ends (end_ns). Parameters: lo_ns, hi_ns, end_ns, bucket_ns, g_from, g_to, limit.
with iv as (
    select g, from_state as state, end_time_ns - duration_ns as start_ns, end_time_ns as end_ns
    from g_transitions
    where g between {{g_from}} and {{g_to}} and from_state in ('running'::state, 'runnable'::state, 'waiting'::state, 'syscall'::state)
        and end_time_ns > {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
    union all
    select g, state, start_ns, {{end_ns}}::bigint
    from web_g_tails
    where g between {{g_from}} and {{g_to}} and state in ('running', 'runnable', 'waiting', 'syscall')
        and start_ns < {{hi_ns}} and start_ns < {{end_ns}} and {{end_ns}} > {{lo_ns}}
),
-- b: the bucket of an interval shorter than one, NULL for the others (kept apart, keyed by their start).
keyed as (
    select
        g, state, start_ns, end_ns,
        least(end_ns, {{hi_ns}}) - greatest(start_ns, {{lo_ns}}) as busy_ns,
        case when end_ns - start_ns < {{bucket_ns}} then (greatest(start_ns, {{lo_ns}}) - {{lo_ns}}) // {{bucket_ns}} end as b
    from iv
),
per_state as (
    select g, b, state, min(start_ns) as start_ns, max(end_ns) as end_ns, sum(busy_ns) as busy_ns, count(*) as n
    from keyed
    group by g, b, state, case when b is null then start_ns end
)
select
    g,
    arg_max(state, busy_ns)::varchar as state,
    case when b is null then min(start_ns) else {{lo_ns}} + b * {{bucket_ns}} end as start_ns,
    case when b is null then max(end_ns) else {{lo_ns}} + (b + 1) * {{bucket_ns}} end as end_ns,
    sum(busy_ns)::bigint as busy_ns,
    sum(n)::bigint as n
from per_state
group by g, b, case when b is null then start_ns end
order by g, start_ns, end_ns
limit {{limit}};
