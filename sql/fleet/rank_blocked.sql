-- The traces most worth opening for blocking: the most goroutine time spent
-- waiting (channels, locks, I/O, sleeps) per second of trace first, with the
-- window where most waits ended.
select file, trace, cast(blocked_ns as double) / duration_ns as value, 'goroutines blocked on average' as unit,
       blocked_window_ms as from_ms, blocked_window_ms + window_ms as to_ms
from traces
where blocked_ns is not null and duration_ns > 0
order by value desc, file
limit {{limit}};
