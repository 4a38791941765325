-- What ran on each P over [lo_ns, hi_ns), for the timeline's proc lanes.
-- Goroutines running there or in a syscall (charged to the P they entered it on, as the runs view does), and when
-- the P itself was held by a thread (p_transitions' running; state 'held', g NULL). Intervals shorter than
-- bucket_ns (one pixel) are merged per P, layer (held or goroutines) and bucket into one row spanning the bucket,
-- with the goroutine and state that took most of its time (n: intervals merged; busy_ns: their time inside the
-- range). Last states (web_g_tails, web_p_tails) last until the trace ends (end_ns); syscalls come from
-- web_syscalls (timeline_prepare.sql). Parameters: lo_ns, hi_ns, end_ns, bucket_ns, limit.
with iv as (
    select src_p as p, g, 'running' as state, end_time_ns - duration_ns as start_ns, end_time_ns as end_ns
    from g_transitions
    where from_state = 'running'::state and end_time_ns > {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
    union all
    select p, g, 'syscall', start_ns, end_ns
    from web_syscalls
    where end_ns > {{lo_ns}} and start_ns < {{hi_ns}}
    union all
    select p, g, state::varchar, start_ns, {{end_ns}}::bigint
    from web_g_tails
    where state in ('running', 'syscall') and start_ns < {{hi_ns}} and start_ns < {{end_ns}} and {{end_ns}} > {{lo_ns}}
    union all
    select p, null, 'held', end_time_ns - duration_ns, end_time_ns
    from p_transitions
    where from_state = 'running'::state and end_time_ns > {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
    union all
    select p, null, 'held', start_ns, {{end_ns}}::bigint
    from web_p_tails
    where state = 'running' and start_ns < {{hi_ns}} and start_ns < {{end_ns}} and {{end_ns}} > {{lo_ns}}
),
-- b: the bucket of an interval shorter than one, NULL for the others (kept apart, keyed by their start).
keyed as (
    select
        p, g, state, state = 'held' as held, start_ns, end_ns,
        least(end_ns, {{hi_ns}}) - greatest(start_ns, {{lo_ns}}) as busy_ns,
        case when end_ns - start_ns < {{bucket_ns}} then (greatest(start_ns, {{lo_ns}}) - {{lo_ns}}) // {{bucket_ns}} end as b
    from iv
    where p is not null
),
per_g as (
    select p, held, b, g, state, min(start_ns) as start_ns, max(end_ns) as end_ns, sum(busy_ns) as busy_ns, count(*) as n
    from keyed
    group by p, held, b, g, state, case when b is null then start_ns end
)
select
    p,
    arg_max(g, busy_ns) as g,
    arg_max(state, busy_ns) as state,
    case when b is null then min(start_ns) else {{lo_ns}} + b * {{bucket_ns}} end as start_ns,
    case when b is null then max(end_ns) else {{lo_ns}} + (b + 1) * {{bucket_ns}} end as end_ns,
    sum(busy_ns)::bigint as busy_ns,
    sum(n)::bigint as n
from per_g
group by p, held, b, case when b is null then start_ns end
order by p, start_ns, end_ns
limit {{limit}};
