-- Who waited while Ps sat idle, for `schedstat doctor`'s idle-ps: every
-- stretch an application goroutine sat runnable (runnable → running) that
-- overlaps a stretch in which some P was idle, grouped by goroutine name (the
-- goroutines view's, as `schedstat goroutines` groups them): goroutines,
-- such waits and their total. Run only when idle-ps is found.
--
-- "Some P idle" is a union of stretches: the idle stretches merged where they
-- overlap or touch, then each wait is tried against the one merged stretch
-- that began last before the wait ended (an ASOF join): the merged stretches
-- are disjoint, so if that one ended before the wait began, all earlier ones
-- did. An inequality join of waits to idle stretches paired every wait with
-- every idle stretch it overlapped, which DuckDB ran as a nested loop.
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
ordered as (
    select s, e, max(e) over (order by s, e rows between unbounded preceding and 1 preceding) as reached
    from i
),
merged as (
    select min(s) as s, max(e) as e
    from (
        select s, e, sum(case when reached is null or s > reached then 1 else 0 end)
            over (order by s, e rows unbounded preceding) as island
        from ordered
    )
    group by island
),
hit as (
    select distinct r.g, r.s, r.duration_ns
    from r asof join merged m on r.e > m.s
    where m.e > r.s
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
