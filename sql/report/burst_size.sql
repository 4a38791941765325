-- How many goroutines became runnable (or started running right away) within
-- ±1 ms of center_ns. Times are when each goroutine entered its previous state
-- (end_time_ns - duration_ns), as dt/schedstat counts them.
select count(distinct g) as goroutines
from schedstat_scratch.burst_rows
where (to_state = 'runnable'::state or (from_state = 'notexist'::state and to_state = 'running'::state))
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000;
