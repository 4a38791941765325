-- Goroutines that unblocked the most goroutines of a burst, with their usual
-- stack: the one they unblocked from most often, ties going to the stack the
-- trace showed first (the lowest stack_id). Written out rather than mode(),
-- whose ties depend on how DuckDB splits the scan between threads.
with unblocks as (
    select src_g as g, src_stack_id as stack_id
    from burst_rows
    where from_state = 'waiting' and to_state = 'runnable' and src_g is not null
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
),
h as (
    select g, count(*) as count
    from unblocks
    group by g
),
per_stack as (
    select g, stack_id, count(*) as n
    from unblocks
    where stack_id is not null
    group by g, stack_id
),
usual as (
    select g, arg_max(stack_id, [n, -stack_id::bigint]) as stack_id
    from per_stack
    group by g
)
select h.g, h.count, stack_funcs(usual.stack_id) as funcs
from h left join usual using (g)
order by h.count desc, h.g
limit 3;
