-- 1 ms buckets in which more than 10 goroutines became runnable (or started
-- running at once), with how many distinct stacks caused it. Parameter: limit.
with ev as (
    select g, src_stack_id, end_time_ns - duration_ns as t
    from g_transitions
    where to_state = 'runnable'::state or (from_state = 'notexist'::state and to_state = 'running'::state)
),
origin as (select min(end_time_ns - duration_ns) as t0 from g_transitions)
select
    (t - origin.t0) // 1000000 as bucket,
    count(*) as goroutines,
    count(distinct src_stack_id) as distinct_creators
from ev, origin
group by bucket
having count(*) > 10
order by goroutines desc, bucket
limit {{limit}};
