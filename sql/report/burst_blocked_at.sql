-- Where the goroutines of a burst had blocked: each unblocked goroutine's
-- last stack-bearing exit from 'running' before it was unblocked
-- (burst_blocked.sql).
with unblocked as (
    select distinct g, end_time_ns as unblocked_ns
    from schedstat_scratch.burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
),
named as (
    select stack_funcs(b.stack_id) as funcs
    from unblocked u
    join schedstat_scratch.burst_blocked b on b.g = u.g and b.unblocked_ns = u.unblocked_ns
    where b.stack_id is not null
)
select funcs, count(*) as count
from named
group by funcs
order by count desc, array_to_string(funcs, ', ')
limit 3;
