-- How many goroutines were runnable, per bucket of [lo_ns, hi_ns), for the runnable chart.
-- A running sum of +1 on entering 'runnable' and -1 on leaving it (as runnable_count.sql counts), from the trace's
-- start, sampled at the end of every step of step_ns. One row per bucket of `steps` steps (bucket 0 starts at
-- lo_ns) that has transitions: the highest, lowest and last sampled count; a bucket without transitions keeps the
-- previous bucket's last count. Bucket -1 carries the count at lo_ns. Steps, not single transitions, keep the
-- query a hash aggregate at any zoom; zoomed in far enough that a step holds at most one transition, the peak is
-- exact. Parameters: lo_ns, hi_ns, step_ns, steps.
with base as (
    select (count(*) filter (where to_state = 'runnable'::state) - count(*) filter (where from_state = 'runnable'::state))::bigint as n
    from g_transitions
    where end_time_ns < {{lo_ns}}
),
steps as (
    select
        (end_time_ns - {{lo_ns}}) // {{step_ns}} as s,
        count(*) filter (where to_state = 'runnable'::state) - count(*) filter (where from_state = 'runnable'::state) as delta
    from g_transitions
    where end_time_ns >= {{lo_ns}} and end_time_ns < {{hi_ns}}
    group by s
),
counts as (
    select s, (select n from base) + sum(delta) over (order by s rows between unbounded preceding and current row) as n
    from steps
)
select -1::bigint as bucket, n as peak, n as low, n as last
from base
union all
select s // {{steps}} as bucket, max(n)::bigint as peak, min(n)::bigint as low, arg_max(n, s)::bigint as last
from counts
group by bucket
order by bucket;
