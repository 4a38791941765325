-- Goroutines other than g runnable at instant t_ns (entered 'runnable' before it, left after
-- it), grouped by what made them runnable. Returns the count per cause and the
-- top creator/unblocker stack of each cause: the most common, ties going to
-- the stack the trace showed first (the lowest stack_id). Written out rather
-- than mode(), whose ties depend on how DuckDB splits the scan between threads
-- (and differ between the CLI's DuckDB and the page's single-threaded one).
-- Reads why_waiting.sql's table (the waits under way at the explained instants).
with waiting as (
    select cause, stack_id
    from schedstat_scratch.why_waiting where start_time_ns <= {{t_ns}} and end_time_ns > {{t_ns}} and g <> {{g}}
),
per_stack as (
    select cause, stack_id, count(*) as n
    from waiting
    where stack_id is not null
    group by cause, stack_id
),
usual as (
    select cause, arg_max(stack_id, [n, -stack_id::bigint]) as stack_id
    from per_stack
    group by cause
)
select
    w.cause,
    count(*) as goroutines,
    stack_funcs(any_value(usual.stack_id)) as funcs
from waiting w left join usual using (cause)
group by w.cause
order by goroutines desc, w.cause;
