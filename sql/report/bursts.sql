-- 1 ms buckets in which more than 10 goroutines became runnable (or started
-- running at once), with how many distinct stacks caused it. Parameter: limit.
with ev as (
    select g, src_stack_id, end_time_ns - duration_ns as t
    from g_transitions
    where to_state = 'runnable'::state or (from_state = 'notexist'::state and to_state = 'running'::state)
),
origin as (select min(end_time_ns - duration_ns) as t0 from g_transitions),
-- Counted per bucket and stack first: a DISTINCT aggregate over every row
-- was a fifth slower.
per_stack as (
    select (t - origin.t0) // 1000000 as bucket, src_stack_id, count(*) as n
    from ev, origin
    group by all
)
select
    bucket,
    sum(n)::bigint as goroutines,
    count(src_stack_id) as distinct_creators
from per_stack
group by bucket
having sum(n) > 10
order by goroutines desc, bucket
limit {{limit}};
