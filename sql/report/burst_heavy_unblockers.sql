-- Goroutines that unblocked the most goroutines of a burst, with their usual stack.
-- This one reads g_transitions itself, not burst_rows: mode() breaks ties by
-- where in its input a value was first seen, and dt/schedstat's answers come
-- from g_transitions' own row order.
with h as (
    select src_g as g, count(*) as count, mode(src_stack_id) as stack_id
    from g_transitions
    where from_state = 'waiting' and to_state = 'runnable' and src_g is not null
      and end_time_ns - duration_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
      -- implied by the line above; lets DuckDB skip row groups by their time range
      and end_time_ns >= {{center_ns}} - 1000000
    group by src_g
)
select g, count, stack_funcs(stack_id) as funcs
from h
order by count desc, g
limit 3;
