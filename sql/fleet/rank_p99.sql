-- The traces most worth opening for scheduling latency: highest p99 of
-- runnable → running waits first, with the window where it was worst.
-- Columns shared by every rank_*.sql: file, trace, value, unit, from_ms, to_ms
-- (the time range to look at, in ms from the trace's first event).
select file, trace, p99_ns as value, 'ns' as unit,
       worst_window_ms as from_ms, worst_window_ms + window_ms as to_ms
from traces
where p99_ns is not null
order by p99_ns desc, file
limit {{limit}};
