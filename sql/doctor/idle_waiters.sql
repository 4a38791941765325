-- Who waited while Ps sat idle, for `schedstat doctor`'s idle-ps: every
-- stretch an application goroutine sat runnable (runnable → running) that
-- overlaps a stretch in which some P was idle, grouped by goroutine name (the
-- goroutines view's, as `schedstat goroutines` groups them): goroutines,
-- such waits and their total. Run only when idle-ps is found (an inequality
-- join over both transition lists).
with r as (
    select g, end_time_ns - duration_ns as s, end_time_ns as e, duration_ns
    from g_transitions
    where from_state = 'runnable'::state and duration_ns > 0
),
i as (
    select end_time_ns - duration_ns as s, end_time_ns as e
    from p_transitions
    where from_state = 'idle'::state and duration_ns > 0
),
hit as (
    select distinct r.g, r.s, r.duration_ns
    from r join i on i.s < r.e and i.e > r.s
),
named as (
    select gr.name, hit.g, hit.duration_ns
    from hit
    join goroutines gr on gr.g = hit.g
    where not coalesce(gr.is_system_goroutine, false)
)
select coalesce(name, '') as name, count(distinct g) as goroutines, count(*) as waits, sum(duration_ns)::bigint as runnable_ns
from named
group by 1
order by runnable_ns desc, name
limit 3;
