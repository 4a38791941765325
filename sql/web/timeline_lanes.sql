-- Which goroutines get a lane on the timeline for [lo_ns, hi_ns), ordered by id.
-- Those that ran, were runnable or were in a syscall there, or changed state there; with the time each spent
-- running, runnable or in a syscall in the range (active_ns), its transitions in the range, and how many
-- goroutines qualify (total). A goroutine's last state (web_g_tails, timeline_prepare.sql) lasts until the trace
-- ends (end_ns). Parameters: lo_ns, hi_ns, end_ns, limit.
with act as (
    select
        g,
        coalesce(sum(least(end_time_ns, {{hi_ns}}) - greatest(end_time_ns - duration_ns, {{lo_ns}}))
            filter (where from_state in ('running'::state, 'runnable'::state, 'syscall'::state)), 0) as active_ns,
        count(*) filter (where end_time_ns < {{hi_ns}} and from_state <> 'undetermined'::state) as transitions
    from g_transitions
    where end_time_ns >= {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
    group by g
    union all
    select g, least({{end_ns}}, {{hi_ns}}) - greatest(start_ns, {{lo_ns}}) as active_ns, 0 as transitions
    from web_g_tails
    where state in ('running', 'runnable', 'syscall') and start_ns < {{hi_ns}} and start_ns < {{end_ns}}
        and {{end_ns}} > {{lo_ns}}
),
lanes as (
    select g, sum(active_ns)::bigint as active_ns, sum(transitions)::bigint as transitions
    from act
    group by g
    having sum(active_ns) > 0 or sum(transitions) > 0
)
select g, active_ns, transitions, count(*) over () as total
from lanes
order by g
limit {{limit}};
