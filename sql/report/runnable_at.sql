-- For each delay to explain ({{delays}}: rows of (idx, g, t_ns)): the
-- goroutines other than g runnable at instant t_ns (entered 'runnable' before
-- it, left after it), grouped by what made them runnable. Returns per delay
-- the count per cause and the top creator/unblocker stack of each cause: the
-- most common, ties going to the stack the trace showed first (the lowest
-- stack_id). Written out rather than mode(), whose ties depend on how DuckDB
-- splits the scan between threads (and differ between the CLI's DuckDB and
-- the page's single-threaded one). All delays in one pass over `delays`.
with d(idx, g, t_ns) as (values {{delays}}),
waiting as (
    select d.idx, x.cause, coalesce(x.made_runnable_by_stack_id, x.creator_stack_id) as stack_id
    from delays x
    join d on x.start_time_ns <= d.t_ns and x.end_time_ns > d.t_ns and x.g <> d.g
),
per_stack as (
    select idx, cause, stack_id, count(*) as n
    from waiting
    where stack_id is not null
    group by idx, cause, stack_id
),
usual as (
    select idx, cause, arg_max(stack_id, [n, -stack_id::bigint]) as stack_id
    from per_stack
    group by idx, cause
)
select
    w.idx,
    w.cause,
    count(*) as goroutines,
    stack_funcs(any_value(usual.stack_id)) as funcs
from waiting w left join usual using (idx, cause)
group by w.idx, w.cause
order by w.idx, goroutines desc, w.cause;
