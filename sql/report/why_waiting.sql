-- The waits (the `delays` view) under way at the instants `--why` looks at
-- (when each explained delay began), with what made each goroutine runnable.
-- Made once before runnable_at.sql, so that each explanation reads the
-- waits of its instant instead of computing `delays` over the whole trace
-- again; in `schedstat_scratch` (see burst_rows.sql), never kept in a file.
-- {{earliest_ns}}: the earliest instant (waits ending by it are skipped
-- first); {{in_windows}}: "(start_time_ns <= T and end_time_ns > T) or ..."
-- for every instant T ("false" when there is none).
attach if not exists ':memory:' as schedstat_scratch;
create or replace table schedstat_scratch.why_waiting as
select g, start_time_ns, end_time_ns, cause, coalesce(made_runnable_by_stack_id, creator_stack_id) as stack_id
from delays
where end_time_ns > {{earliest_ns}} and ({{in_windows}});
