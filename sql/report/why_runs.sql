-- The executions (the `runs` view) during the waits `--why` explains, each
-- with its goroutine's name. Made once before delay_explained.sql, so that
-- each explanation reads the few rows of its wait instead of computing
-- `runs` and `goroutines` over the whole trace again; in `schedstat_scratch`
-- (see burst_rows.sql), never kept in a file. Only the goroutines that ran then are named, as the
-- `goroutines` view names them (which sums every goroutine's time in each
-- state: most of this table's time and memory on a trace of millions of
-- goroutines).
-- {{earliest_ns}}: the earliest wait's start (rows ending before it are
-- skipped first); {{in_windows}}: "(end_time_ns > S and start_time_ns < E)
-- or ..." for every wait from S to E ("false" when there is none).
attach if not exists ':memory:' as schedstat_scratch;
create or replace table schedstat_scratch.why_runs as
with w as materialized (
    select *
    from runs
    where end_time_ns > {{earliest_ns}} and p is not null and ({{in_windows}})
),
firsts as (
    select g,
        arg_min(stack_id, end_time_ns) filter (where stack_id is not null) as first_stack,
        arg_min(src_stack_id, end_time_ns) filter (where src_stack_id is not null) as first_src_stack
    from g_transitions
    where g in (select g from w)
    group by g
)
select w.*, case when f.first_stack is not null then r1.root else r2.root end as name
from w
left join firsts f on f.g = w.g
left join stack_roots r1 on r1.stack_id = f.first_stack
left join stack_roots r2 on r2.stack_id = f.first_src_stack;
