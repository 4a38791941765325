-- Goroutines that unblocked the most goroutines of a burst, with their usual
-- stack: the one they unblocked from most often, ties going to the stack the
-- trace showed first (the lowest stack_id), and how many other stacks tied
-- with it (tied_stacks: the label is then the tie-breaker's choice). Written
-- out rather than mode(), whose ties depend on how DuckDB splits the scan
-- between threads.
with unblocks as (
    select src_g as g, src_stack_id as stack_id
    from schedstat_scratch.burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state and src_g is not null
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
most as (
    select g, max(n) as n
    from per_stack
    group by g
),
usual as (
    select p.g, arg_max(p.stack_id, [p.n, -p.stack_id::bigint]) as stack_id,
           count(*) filter (where p.n = most.n) - 1 as tied_stacks
    from per_stack p join most using (g)
    group by p.g
)
select h.g, h.count, stack_funcs(usual.stack_id) as funcs, coalesce(usual.tied_stacks, 0) as tied_stacks
from h left join usual using (g)
order by h.count desc, h.g
limit 3;
