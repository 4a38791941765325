-- The transitions the burst analyses read (goroutines becoming runnable, or
-- starting to run right away), ordered by start_ns: when each goroutine
-- entered its previous state (end_time_ns - duration_ns), the time
-- dt/schedstat groups bursts by. Stored in that order, each burst query
-- reads only the row groups around its centre instead of the whole table.
-- Run once before the burst_*.sql analyses; temporary, never kept in a file.
create or replace temp table burst_rows as
select g, from_state, to_state, end_time_ns - duration_ns as start_ns, end_time_ns, src_stack_id, src_g
from g_transitions
where to_state = 'runnable' or (from_state = 'notexist' and to_state = 'running')
order by start_ns, end_time_ns;
