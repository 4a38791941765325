-- Where the goroutines of a burst had blocked: each unblocked goroutine's
-- last stack-bearing exit from 'running' before it was unblocked.
with unblocked as (
    select distinct g, end_time_ns as unblocked_ns
    from burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
),
blocked as (
    select u.g, (
        select arg_max(x.stack_id, x.end_time_ns)
        from g_transitions x
        where x.g = u.g and x.from_state = 'running'::state and x.stack_id is not null and x.end_time_ns <= u.unblocked_ns
    ) as stack_id
    from unblocked u
),
named as (select stack_funcs(stack_id) as funcs from blocked where stack_id is not null)
select funcs, count(*) as count
from named
group by funcs
order by count desc, array_to_string(funcs, ', ')
limit 3;
