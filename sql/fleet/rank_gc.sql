-- The traces most worth opening for GC: the largest share of the trace spent
-- in GC mark phases and GC stop-the-world pauses first, with the window that
-- had the most of it.
select file, trace, cast(gc_ns as double) / duration_ns as value, 'share of the trace' as unit,
       gc_window_ms as from_ms, gc_window_ms + window_ms as to_ms
from traces
where gc_ns is not null and duration_ns > 0
order by value desc, file
limit {{limit}};
