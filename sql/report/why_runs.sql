-- The executions (the `runs` view) during the waits `--why` explains, each
-- with its goroutine's name. Made once before delay_explained.sql, so that
-- each explanation reads the few rows of its wait instead of computing
-- `runs` and `goroutines` over the whole trace again; temporary, never kept
-- in a file.
-- {{earliest_ns}}: the earliest wait's start (rows ending before it are
-- skipped first); {{in_windows}}: "(end_time_ns > S and start_time_ns < E)
-- or ..." for every wait from S to E ("false" when there is none).
create or replace temp table why_runs as
with w as (
    select *
    from runs
    where end_time_ns > {{earliest_ns}} and p is not null and ({{in_windows}})
)
select w.*, gr.name
from w
left join goroutines gr on gr.g = w.g;
